// Helpers shared by the bench/cpp programs: clocks, a listening socket on a free port, send-all.
#ifndef IGTLRX_BENCHUTIL_H
#define IGTLRX_BENCHUTIL_H
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>

static inline double now_s() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static inline long long now_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/** CPU seconds (user + system) used by this process so far. */
static inline double cpu_s() {
  rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec * 1e-6 + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec * 1e-6;
}

/** Listens on 127.0.0.1:port (0 = any free port, with SO_REUSEADDR); prints {"listening":port} and returns the fd. */
static inline int listen_on(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  if (bind(fd, (sockaddr*)&a, sizeof a) != 0 || listen(fd, 256) != 0) {
    perror("bind/listen");
    exit(1);
  }
  socklen_t len = sizeof a;
  getsockname(fd, (sockaddr*)&a, &len);
  printf("{\"listening\":%d}\n", ntohs(a.sin_port));
  fflush(stdout);
  return fd;
}

static inline int accept_client(int lfd) {
  int fd = accept(lfd, nullptr, nullptr);
  if (fd < 0) {
    perror("accept");
    exit(1);
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

/** Writes all `len` bytes (what igtl::Socket::Send does); false if the peer went away. */
static inline bool send_all(int fd, const void* data, size_t len) {
  const char* p = (const char*)data;
  while (len > 0) {
    ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    p += n;
    len -= (size_t)n;
  }
  return true;
}

/** Sleeps until the CLOCK_MONOTONIC time `t_ns`. */
static inline void sleep_until_ns(long long t_ns) {
  timespec ts;
  ts.tv_sec = t_ns / 1000000000LL;
  ts.tv_nsec = t_ns % 1000000000LL;
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR) {
  }
}
#endif
