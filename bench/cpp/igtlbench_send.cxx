// The sending side of the loopback benchmarks: a C++ OpenIGTLink sender that listens on a
// loopback port (0 = a free one, printed as {"listening":port}), waits for one client, sends, and
// closes. Messages are built with the C++ library (SetMatrix / SetTimeStamp / Pack per message).
//
// Usage: igtlbench_send <port> <mode> <count> [hz]
//   transform-blast  <count>       pack <count> TRANSFORMs beforehand, then write them in 64 KiB
//                                  chunks as fast as the socket takes them (a batching sender: the
//                                  sender is not the bottleneck, the receiver is what is measured)
//   transform-each   <count>       the same packed TRANSFORMs, written with one send() per message
//                                  (106 bytes per call, TCP_NODELAY): what a C++ application does
//                                  with Pack() + igtl::Socket::Send() per message. The receiver
//                                  gets many small segments instead of full 64 KiB reads.
//   transform-rate   <count> <hz>  one TRANSFORM every 1/hz s, stamped with CLOCK_MONOTONIC at
//                                  send time (for latency), packed and sent one by one
//   image            <count>       512x512x100 uint16 IMAGEs, each packed (CRC) and sent
// Prints one JSON line with what it did.
#include <vector>
#include <string>
#include "benchutil.h"
#include "igtlTransformMessage.h"
#include "igtlImageMessage.h"
#include "igtl_util.h"

static void matrixFor(long i, igtl::Matrix4x4& m) {
  for (int r = 0; r < 4; r++)
    for (int c = 0; c < 4; c++) m[r][c] = (r == c) ? 1.0f : 0.0f;
  m[0][3] = (float)(i % 1000) * 0.5f;
  m[1][3] = (float)(i % 7);
  m[2][3] = (float)i;
}

int main(int argc, char** argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: %s <port> transform-blast|transform-each|transform-rate|image <count> [hz]\n", argv[0]);
    return 2;
  }
  int port = atoi(argv[1]);
  std::string mode = argv[2];
  long count = atol(argv[3]);
  double hz = argc > 4 ? atof(argv[4]) : 1000;
  const char* device = getenv("IGTLBENCH_DEVICE") ? getenv("IGTLBENCH_DEVICE") : "Tracker";

  std::vector<unsigned char> prepacked;
  igtl::TransformMessage::Pointer tmsg = igtl::TransformMessage::New();
  tmsg->SetDeviceName(device);
  igtl::Matrix4x4 m;
  const bool prepack = mode == "transform-blast" || mode == "transform-each";
  if (prepack) {
    prepacked.reserve((size_t)count * 106);
    for (long i = 0; i < count; i++) {
      matrixFor(i, m);
      tmsg->SetMatrix(m);
      tmsg->SetTimeStamp(1700000000u, (unsigned)i);
      tmsg->Pack();
      const unsigned char* p = (const unsigned char*)tmsg->GetPackPointer();
      prepacked.insert(prepacked.end(), p, p + tmsg->GetPackSize());
    }
  }
  igtl::ImageMessage::Pointer img = igtl::ImageMessage::New();
  if (mode == "image") {
    img->SetDimensions(512, 512, 100);
    img->SetScalarTypeToUint16();
    img->SetSpacing(0.5f, 0.5f, 1.0f);
    img->SetDeviceName("Volume");
    img->AllocateScalars();
    unsigned short* px = (unsigned short*)img->GetScalarPointer();
    for (size_t i = 0; i < (size_t)512 * 512 * 100; i++) px[i] = (unsigned short)(i * 7);
  }

  int lfd = listen_on(port);
  int fd = accept_client(lfd);
  double t0 = now_s();
  long sent = 0;
  if (mode == "transform-blast") {
    size_t off = 0;
    const size_t CHUNK = 64 * 1024;
    while (off < prepacked.size()) {
      size_t n = std::min(CHUNK, prepacked.size() - off);
      if (!send_all(fd, &prepacked[off], n)) break;
      off += n;
    }
    sent = (long)(off / 106);
  } else if (mode == "transform-each") {
    const size_t SIZE = 106;  // 58-byte header + 48-byte body
    for (size_t off = 0; off < prepacked.size(); off += SIZE) {
      if (!send_all(fd, &prepacked[off], SIZE)) break;
      sent++;
    }
  } else if (mode == "transform-rate") {
    long long period = (long long)(1e9 / hz);
    long long next = now_ns();
    for (long i = 0; i < count; i++) {
      sleep_until_ns(next);
      next += period;
      matrixFor(i, m);
      tmsg->SetMatrix(m);
      long long t = now_ns();
      tmsg->SetTimeStamp((unsigned)(t / 1000000000LL), igtl_nanosec_to_frac((igtl_uint32)(t % 1000000000LL)));
      tmsg->Pack();
      if (!send_all(fd, tmsg->GetPackPointer(), tmsg->GetPackSize())) break;
      sent++;
    }
  } else if (mode == "image") {
    unsigned short* px = (unsigned short*)img->GetScalarPointer();
    for (long i = 0; i < count; i++) {
      px[0] = (unsigned short)i;  // a new frame each time
      img->Pack();
      if (!send_all(fd, img->GetPackPointer(), img->GetPackSize())) break;
      sent++;
    }
  } else {
    fprintf(stderr, "unknown mode %s\n", mode.c_str());
    return 2;
  }
  double secs = now_s() - t0;
  shutdown(fd, SHUT_WR);
  // Wait for the receiver to close, so that everything is read before we exit.
  char buf[4096];
  while (read(fd, buf, sizeof buf) > 0) {
  }
  close(fd);
  close(lfd);
  printf("{\"mode\":\"%s\",\"sent\":%ld,\"seconds\":%.6f,\"cpuSeconds\":%.6f}\n", mode.c_str(), sent, secs, cpu_s());
  return 0;
}
