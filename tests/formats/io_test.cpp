// AtomicFileSink: the target appears whole or not at all; devices are written, not replaced.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>

#include "openrms/error.hpp"
#include "openrms/formats/io.hpp"

namespace fs = std::filesystem;
using namespace openrms;
using namespace openrms::formats;

namespace {

fs::path scratch(const std::string& name) {
  fs::path d = fs::temp_directory_path() / ("openrms-io-test-" + std::to_string(::getpid()));
  fs::create_directories(d);
  return d / name;
}

std::string slurp(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), {}};
}

const Bytes kData = {'h', 'e', 'l', 'l', 'o'};

}  // namespace

TEST(AtomicFileSink, TargetAppearsOnlyOnCommit) {
  const fs::path out = scratch("whole.bin");
  fs::remove(out);
  {
    AtomicFileSink sink(out, false);
    sink.write(kData);
    EXPECT_FALSE(fs::exists(out));
    sink.commit();
  }
  EXPECT_EQ(slurp(out), "hello");
  {
    AtomicFileSink sink(out, false);
    sink.write(Bytes(100, 'x'));
  }  // never committed: the old file stays as it was
  EXPECT_EQ(slurp(out), "hello");
}

TEST(AtomicFileSink, ADeviceIsWrittenNotReplaced) {
  struct stat before {};
  ASSERT_EQ(::stat("/dev/null", &before), 0);
  ASSERT_TRUE(S_ISCHR(before.st_mode));
  {
    AtomicFileSink sink("/dev/null", true);  // durable: no fsync is asked of a device
    sink.write(kData);
    sink.commit();
  }
  struct stat after {};
  ASSERT_EQ(::stat("/dev/null", &after), 0);
  EXPECT_TRUE(S_ISCHR(after.st_mode));
  EXPECT_EQ(after.st_rdev, before.st_rdev);
}

TEST(AtomicFileSink, AFifoIsWrittenNotReplaced) {
  const fs::path fifo = scratch("pipe");
  fs::remove(fifo);
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  std::string got;
  std::thread reader([&] { got = slurp(fifo); });
  {
    AtomicFileSink sink(fifo, true);
    sink.write(kData);
    sink.commit();
  }
  reader.join();
  EXPECT_EQ(got, "hello");
  struct stat st {};
  ASSERT_EQ(::stat(fifo.c_str(), &st), 0);
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
  fs::remove(fifo);
}

TEST(AtomicFileSink, AFolderIsRefused) {
  const fs::path dir = scratch("folder");
  fs::create_directories(dir);
  try {
    AtomicFileSink sink(dir, false);
    FAIL() << "a folder was accepted as the output";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Errc::io);
    EXPECT_NE(std::string(e.what()).find("folder"), std::string::npos);
  }
}
