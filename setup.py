"""The Python package openrms (python/openrms): `pip install .` from the checkout, in a virtual
environment made with --system-site-packages (Debian's pip refuses the system's site-packages).

There is deliberately no pyproject.toml: with one, pip would build in an isolated environment
and fetch setuptools from a package registry; without it, pip builds with Debian's own
python3-setuptools and python3-wheel, so everything comes from Debian packages (cmake/deps.sh).
The extension is built by CMake from the same sources as the library.

OPENRMS_CMAKE_BUILD_DIR names an existing CMake build tree to build the extension in (the
tests reuse build/default so nothing is compiled twice); without it a release tree is
configured in build/python with only the libraries and the extension.
"""

import os
import shutil
import subprocess
import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = os.path.dirname(os.path.abspath(__file__))


class CMakeExtension(Extension):
    def __init__(self, name):
        super().__init__(name, sources=[])


class CMakeBuild(build_ext):
    def build_extension(self, ext):
        build_dir = os.environ.get("OPENRMS_CMAKE_BUILD_DIR") or os.path.join(ROOT, "build", "python")
        if not os.path.exists(os.path.join(build_dir, "CMakeCache.txt")):
            subprocess.check_call([
                "cmake", "-S", ROOT, "-B", build_dir, "-G", "Ninja",
                "-DCMAKE_BUILD_TYPE=Release", "-DOPENRMS_BUILD_TESTS=OFF",
                "-DOPENRMS_BUILD_BENCH=OFF", "-DOPENRMS_BUILD_CLI=OFF",
                "-DOPENRMS_BUILD_PYTHON=ON", "-DPython3_EXECUTABLE=" + sys.executable,
            ])
        jobs = str(os.cpu_count() or 2)
        subprocess.check_call(["cmake", "--build", build_dir, "--target", "openrms_python",
                               "-j", jobs])
        built = os.path.join(build_dir, "python", "openrms")
        module = next(f for f in os.listdir(built) if f.startswith("_native") and f.endswith(".so"))
        target = self.get_ext_fullpath(ext.name)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copyfile(os.path.join(built, module), target)
        # The shared build tree may be RelWithDebInfo: its debug sections are ~4/5 of the module
        # (17 MB), which an installed package does not need. `build_ext --debug` keeps them.
        strip = shutil.which("strip")
        if strip and not self.debug:
            subprocess.check_call([strip, "--strip-debug", target])


setup(
    name="openrms",
    version="0.1.0",
    description="Content protection: Office and PDF encryption and rights-protected files on the "
                "openrms C++ engine",
    python_requires=">=3.9",
    package_dir={"": "python"},
    packages=["openrms", "openrms.msoffcrypto"],
    package_data={"openrms": ["py.typed", "*.pyi"]},
    ext_modules=[CMakeExtension("openrms._native")],
    cmdclass={"build_ext": CMakeBuild},
    zip_safe=False,
)
