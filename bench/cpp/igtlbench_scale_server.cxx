// C++ side of benchmark 8 (scale): one server, <clients> clients, each sent a TRANSFORM and a
// TDATA (2 tools) at <hz> for <seconds>. Each tick packs the two messages once with the C++
// library and writes them to every client. Prints {"listening":port} first, then one JSON line
// with the CPU it used (user + system, and each) over the sending period, after <warmup> seconds
// of sending that are not counted (as the igtl-rx side does: bench/js/scale-server.mjs).
//
// Usage: igtlbench_scale_server <port> <clients> <hz> <seconds> [warmup seconds, default 0]
#include <vector>
#include "benchutil.h"
#include "igtlTrackingDataMessage.h"
#include "igtlTransformMessage.h"

/** User and system CPU seconds of this process so far. */
static void cpu_split(double& user, double& sys) {
  rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  user = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec * 1e-6;
  sys = ru.ru_stime.tv_sec + ru.ru_stime.tv_usec * 1e-6;
}

int main(int argc, char** argv) {
  if (argc < 5) {
    fprintf(stderr, "usage: %s <port> <clients> <hz> <seconds>\n", argv[0]);
    return 2;
  }
  int clients = atoi(argv[2]);
  double hz = atof(argv[3]);
  double seconds = atof(argv[4]);
  double warmup = argc > 5 ? atof(argv[5]) : 0;
  int lfd = listen_on(atoi(argv[1]));
  std::vector<int> fds;
  for (int i = 0; i < clients; i++) fds.push_back(accept_client(lfd));

  igtl::TransformMessage::Pointer tmsg = igtl::TransformMessage::New();
  tmsg->SetDeviceName("Stylus");
  igtl::TrackingDataMessage::Pointer tdata = igtl::TrackingDataMessage::New();
  tdata->SetDeviceName("Tracker");
  igtl::TrackingDataElement::Pointer e1 = igtl::TrackingDataElement::New();
  e1->SetName("Stylus");
  e1->SetType(igtl::TrackingDataElement::TYPE_6D);
  igtl::TrackingDataElement::Pointer e2 = igtl::TrackingDataElement::New();
  e2->SetName("Probe");
  e2->SetType(igtl::TrackingDataElement::TYPE_6D);
  tdata->AddTrackingDataElement(e1);
  tdata->AddTrackingDataElement(e2);
  igtl::Matrix4x4 m;
  igtl::IdentityMatrix(m);

  long long period = (long long)(1e9 / hz);
  long warm = (long)(warmup * hz);
  long ticks = warm + (long)(seconds * hz);
  double user0 = 0, sys0 = 0, cpu0 = 0, t0 = 0;
  long long next = now_ns();
  long sent = 0;
  for (long t = 0; t < ticks; t++) {
    if (t == warm) {
      cpu_split(user0, sys0);
      cpu0 = cpu_s();
      t0 = now_s();
      sent = 0;
    }
    sleep_until_ns(next);
    next += period;
    m[0][3] = (float)t;
    tmsg->SetMatrix(m);
    tmsg->SetTimeStamp((unsigned)(next / 1000000000LL), 0);
    tmsg->Pack();
    e1->SetMatrix(m);
    e2->SetMatrix(m);
    tdata->SetTimeStamp((unsigned)(next / 1000000000LL), 0);
    tdata->Pack();
    for (int fd : fds) {
      send_all(fd, tmsg->GetPackPointer(), tmsg->GetPackSize());
      send_all(fd, tdata->GetPackPointer(), tdata->GetPackSize());
      sent += 2;
    }
  }
  double wall = now_s() - t0;
  double cpu = cpu_s() - cpu0;
  double user1, sys1;
  cpu_split(user1, sys1);
  for (int fd : fds) close(fd);
  close(lfd);
  printf("{\"sent\":%ld,\"seconds\":%.6f,\"cpuSeconds\":%.6f,\"cpuPercent\":%.3f,\"userSeconds\":%.6f,\"sysSeconds\":%.6f}\n", sent, wall, cpu,
         100 * cpu / wall, user1 - user0, sys1 - sys0);
  return 0;
}
