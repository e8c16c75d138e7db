// The clients of benchmark 8 (scale): <clients> TCP connections to one server, read with epoll,
// framed by the 58-byte header and counted (a load generator: it does not decode, so that its
// own CPU stays small). Runs until every connection is closed by the server, or <seconds> pass.
// Prints one JSON line: messages received in total and per client (min / median / max), and
// the delivered rate measured from the first to the last message.
//
// Usage: igtlbench_scale_clients <port> <clients> <seconds>
#include <fcntl.h>
#include <sys/epoll.h>
#include <algorithm>
#include <vector>
#include "benchutil.h"

struct Client {
  int fd;
  long messages = 0;
  long long need = 58;  // bytes until the end of the current header or body
  bool inHeader = true;
  unsigned char hdr[58];
  int hdrFill = 0;
};

int main(int argc, char** argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: %s <port> <clients> <seconds>\n", argv[0]);
    return 2;
  }
  int port = atoi(argv[1]);
  int n = atoi(argv[2]);
  double seconds = atof(argv[3]);
  std::vector<Client> cs(n);
  int ep = epoll_create1(0);
  for (int i = 0; i < n; i++) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    if (connect(fd, (sockaddr*)&a, sizeof a) != 0) {
      perror("connect");
      return 1;
    }
    fcntl(fd, F_SETFL, O_NONBLOCK);
    cs[i].fd = fd;
    epoll_event ev;
    ev.events = EPOLLIN;
    ev.data.u32 = i;
    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
  }
  printf("{\"connected\":%d}\n", n);
  fflush(stdout);
  std::vector<unsigned char> buf(256 * 1024);
  int open = n;
  double tStart = now_s(), tFirst = 0, tLast = 0;
  long total = 0;
  epoll_event evs[64];
  while (open > 0 && now_s() - tStart < seconds) {
    int k = epoll_wait(ep, evs, 64, 200);
    for (int e = 0; e < k; e++) {
      Client& c = cs[evs[e].data.u32];
      for (;;) {
        ssize_t r = read(c.fd, buf.data(), buf.size());
        if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) {
          epoll_ctl(ep, EPOLL_CTL_DEL, c.fd, nullptr);
          close(c.fd);
          open--;
          break;
        }
        if (r < 0) break;
        size_t off = 0;
        while (off < (size_t)r) {
          size_t take = (size_t)std::min<long long>(c.need, (long long)(r - off));
          if (c.inHeader) memcpy(c.hdr + c.hdrFill, &buf[off], take), c.hdrFill += (int)take;
          off += take;
          c.need -= (long long)take;
          if (c.need > 0) continue;
          if (c.inHeader) {
            unsigned long long body = 0;
            for (int b = 42; b < 50; b++) body = (body << 8) | c.hdr[b];
            c.inHeader = false;
            c.hdrFill = 0;
            c.need = (long long)body;
          }
          if (!c.inHeader && c.need == 0) {
            c.messages++;
            total++;
            tLast = now_s();
            if (tFirst == 0) tFirst = tLast;
            c.inHeader = true;
            c.need = 58;
          }
        }
      }
    }
  }
  std::vector<long> per;
  for (auto& c : cs) per.push_back(c.messages);
  std::sort(per.begin(), per.end());
  double span = tLast > tFirst ? tLast - tFirst : 1;
  printf("{\"clients\":%d,\"messages\":%ld,\"minPerClient\":%ld,\"medianPerClient\":%ld,\"maxPerClient\":%ld,\"seconds\":%.6f,\"perSecond\":%.3f,\"cpuSeconds\":%.6f}\n", n,
         total, per.front(), per[per.size() / 2], per.back(), span, total / span, cpu_s());
  return 0;
}
