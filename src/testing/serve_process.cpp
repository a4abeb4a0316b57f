#include "testing/serve_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <thread>

namespace clipsearch::testing {

// The child's stderr goes to a file (a pipe closed by the test would kill it with SIGPIPE).
ServeProcess::ServeProcess(std::vector<std::string> args) : log_path_(log_dir_.file("serve.log")) {
  pid_ = fork();
  if (pid_ == 0) {
    prctl(PR_SET_PDEATHSIG, SIGTERM);  // a test that crashes must not leave its server running
    const int fd = open(log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 2);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (port_ == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    const std::string text = log();
    const size_t at = text.find("http://127.0.0.1:");
    const size_t end = at == std::string::npos ? at : text.find('/', at + 17);
    if (end != std::string::npos) port_ = std::stoi(text.substr(at + 17, end - at - 17));
    if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
      pid_ = -1;  // exited: the log says why
      break;
    }
  }
}

int ServeProcess::stop() {
  if (pid_ <= 0) return -1;
  kill(pid_, SIGTERM);
  int status = 0;
  pid_t waited;
  do {
    waited = waitpid(pid_, &status, 0);
  } while (waited < 0 && errno == EINTR);
  pid_ = -1;
  return waited < 0 ? -1 : status;
}

ServeProcess::~ServeProcess() { stop(); }

}  // namespace clipsearch::testing
