// The C++ side of bench/js/framer-growth.mjs: large messages received from 64 KiB chunks the way
// a user of the OpenIGTLink C++ library receives them, against a bare crc64() pass.
//
// Usage: igtlbench_crc <pixel KiB> [rounds]   (prints one JSON line on stdout)
//
// The stream holds `count` messages of 58 + 72 + <pixel KiB> bytes (the size of a v1 IMAGE with
// that many uint8 pixels, as the JS side sends; count: enough for about 64 MiB, at least 1), cut
// into 64 KiB chunks. Each round times, alternately:
//   crc:      the library's crc64() over every body (bytes already in memory);
//   assemble: per message, what MessageHeader + AllocatePack() + Receive() + Unpack(1) do with the
//             bytes: the 58-byte header into its own buffer, a new body buffer (new[], not
//             zero-filled), the body copied in from the chunks, then crc64() over it.
// CPU time of this process; the first round is a warm-up; medians.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <vector>
#include <algorithm>

#include "igtl_util.h"

static double now_s() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  size_t m = v.size() / 2;
  return v.size() % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

static const size_t HEADER = 58;
static const size_t CHUNK = 64 * 1024;

int main(int argc, char** argv) {
  long kib = argc > 1 ? atol(argv[1]) : 1024;
  int rounds = argc > 2 ? atoi(argv[2]) : 5;
  if (kib < 1) {
    fprintf(stderr, "usage: %s <pixel KiB> [rounds]\n", argv[0]);
    return 2;
  }
  const size_t body = 72 + (size_t)kib * 1024;
  const size_t total = HEADER + body;
  const size_t count = std::max<size_t>(1, (64u << 20) / total);
  std::vector<unsigned char> stream(total * count);
  for (size_t i = 0; i < stream.size(); i++) stream[i] = (unsigned char)(i % 251);

  igtl_uint64 sink = 0;
  std::vector<double> crcT, asmT, ratios;
  for (int r = 0; r <= rounds; r++) {
    double t0 = now_s();
    for (size_t k = 0; k < count; k++) sink ^= crc64(stream.data() + k * total + HEADER, body, 0);
    double c = now_s() - t0;

    t0 = now_s();
    unsigned char header[HEADER];
    for (size_t k = 0; k < count; k++) {
      size_t at = k * total;
      memcpy(header, stream.data() + at, HEADER);
      unsigned char* b = new unsigned char[body];
      // The body arrives in the stream's 64 KiB chunks (one recv() per chunk).
      size_t done = 0;
      while (done < body) {
        size_t pos = at + HEADER + done;
        size_t n = std::min(body - done, CHUNK - pos % CHUNK);
        memcpy(b + done, stream.data() + pos, n);
        done += n;
      }
      sink ^= crc64(b, body, 0) ^ header[0];
      delete[] b;
    }
    double a = now_s() - t0;
    if (r == 0) continue;
    crcT.push_back(c);
    asmT.push_back(a);
    ratios.push_back(a / c);
  }
  printf("{\"mode\":\"crc-assemble\",\"pixelBytes\":%ld,\"messageBytes\":%zu,\"messages\":%zu,\"crcSeconds\":%.9f,\"assembleSeconds\":%.9f,\"ratio\":%.4f,\"sink\":%llu}\n",
         kib * 1024, total, count, median(crcT), median(asmT), median(ratios), (unsigned long long)(sink & 1));
  return 0;
}
