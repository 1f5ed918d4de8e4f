"""What `pip install .` puts in place (setup.py)."""

import subprocess

import openrms._native as native


def test_the_installed_extension_carries_no_debug_sections():
    # The tests build the module in the RelWithDebInfo tree: setup.py strips its debug sections.
    sections = subprocess.run(["readelf", "-S", "-W", native.__file__], check=True,
                              capture_output=True, text=True).stdout
    assert ".text" in sections  # readelf read the module's section table
    assert ".debug_info" not in sections
