// In-memory codec benchmarks of the OpenIGTLink C++ library (libopenigtlink), the C++ side of
// bench/run.mjs. Each mode does the work the way a C++ user does it: one message at a time, a
// MessageHeader unpacked first, then the message body unpacked with the CRC check (Unpack(1)),
// or Pack() per message on the sending side. Message objects are reused across messages (the
// fastest way to use the library; the examples allocate one per message, which is slower).
//
// Usage: igtlbench_codec <mode> [args]   (prints one JSON line on stdout)
//   crc <MiB> <reps>                 crc64() over a buffer of MiB (byte i = i % 251)
//   transform-decode <N>             N TRANSFORMs packed into one buffer, then decoded
//   transform-encode <N>             N TRANSFORMs packed into one output buffer
//   status-decode <N> / status-encode <N>
//   status-decode-distinct <N> / status-encode-distinct <N>   STATUS texts that do not repeat
//                                    (TEXT_POOL = 2^20 distinct texts, cycled only past that, as the JS side)
//   string-decode-distinct <N> / string-encode-distinct <N>   STRING (US-ASCII) with the same distinct texts
//   transform-send <N> / status-send <N> / status-send-distinct <N> / string-send-distinct <N>   a new message object per message, filled and
//                                    Pack()ed (its own pack buffer), as the C++ examples send
//   image-encode <reps> / image-decode <reps>   512x512x100 uint16 IMAGE
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>
#include <algorithm>

#include "igtlMessageHeader.h"
#include "igtlTransformMessage.h"
#include "igtlStatusMessage.h"
#include "igtlStringMessage.h"
#include "igtlImageMessage.h"
#include "igtl_util.h"

// Time is measured as this process's CPU time (CLOCK_PROCESS_CPUTIME_ID), not wall time: other
// processes share this machine, and CPU time does not count the time we wait for a core. The
// loops are single-threaded and CPU-bound, so on an idle machine the two are the same. (The JS
// side measures process.cpuUsage(), which also counts V8's GC helper threads.)
static double now_s() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static const int POOL = 1024;  // distinct message contents, cycled (same as the JS side)
static const char* DEVICES[4] = {"Tracker", "StylusToTracker", "ProbeToTracker", "Reference"};

static void poolMatrix(int k, igtl::Matrix4x4& m) {
  for (int r = 0; r < 4; r++)
    for (int c = 0; c < 4; c++) m[r][c] = (r == c) ? 1.0f : 0.0f;
  m[0][3] = (float)(k * 0.5);
  m[1][3] = (float)(k * -0.25);
  m[2][3] = (float)(k % 97);
  m[0][1] = (float)(k % 13) * 0.01f;
}

// Pack N TRANSFORMs into one contiguous buffer (used by decode).
static std::vector<unsigned char> packTransforms(long n) {
  igtl::TransformMessage::Pointer msg = igtl::TransformMessage::New();
  std::vector<unsigned char> out;
  out.reserve((size_t)n * 106);
  igtl::Matrix4x4 m;
  for (long i = 0; i < n; i++) {
    int k = (int)(i % POOL);
    msg->SetDeviceName(DEVICES[k % 4]);
    msg->SetTimeStamp(1700000000u + (unsigned)k, (unsigned)k * 4096u);
    poolMatrix(k, m);
    msg->SetMatrix(m);
    msg->Pack();
    const unsigned char* p = (const unsigned char*)msg->GetPackPointer();
    out.insert(out.end(), p, p + msg->GetPackSize());
  }
  return out;
}

static const char* STATUS_TEXT[4] = {"Tracking OK", "Probe not visible", "Reference lost: check the camera", "OK"};

// Distinct status texts (30-40 characters), the same strings as distinctText() in bench/js/codec.mjs.
static const int TEXT_POOL = 1 << 20;
static std::vector<std::string> distinctTexts() {
  std::vector<std::string> out(TEXT_POOL);
  char buf[96];
  for (int k = 0; k < TEXT_POOL; k++) {
    // k * 7919 overflows an int from k = 271,182 on: computed in 64 bits, as the JS side does.
    snprintf(buf, sizeof buf, "Tool %d frame %d: RMS error %d um", k % 7, k, (int)(((long long)k * 7919) % 1000));
    out[k] = buf;
  }
  return out;
}

static std::vector<unsigned char> packStatuses(long n, bool distinct) {
  igtl::StatusMessage::Pointer msg = igtl::StatusMessage::New();
  std::vector<std::string> texts = distinct ? distinctTexts() : std::vector<std::string>();
  std::vector<unsigned char> out;
  for (long i = 0; i < n; i++) {
    // c: the message's place in its pool (the distinct pool is TEXT_POOL long, as on the JS side).
    int c = (int)(i % (distinct ? TEXT_POOL : POOL));
    msg->SetDeviceName(DEVICES[c % 4]);
    msg->SetTimeStamp(1700000000u + (unsigned)(c % POOL), 0);
    msg->SetCode(1 + c % 19);
    msg->SetSubCode((igtlInt64)c * 1000);
    msg->SetErrorName(c % 2 ? "TrackerError" : "");
    msg->SetStatusString(distinct ? texts[c].c_str() : STATUS_TEXT[c % 4]);
    msg->Pack();
    const unsigned char* p = (const unsigned char*)msg->GetPackPointer();
    out.insert(out.end(), p, p + msg->GetPackSize());
  }
  return out;
}

// STRING messages with distinct texts (US-ASCII, the StringMessage default), as the JS side's stringDistinctPool.
static std::vector<unsigned char> packStrings(long n) {
  igtl::StringMessage::Pointer msg = igtl::StringMessage::New();
  std::vector<std::string> texts = distinctTexts();
  std::vector<unsigned char> out;
  for (long i = 0; i < n; i++) {
    int c = (int)(i % TEXT_POOL);
    msg->SetDeviceName(DEVICES[c % 4]);
    msg->SetTimeStamp(1700000000u + (unsigned)(c % POOL), 0);
    msg->SetString(texts[c].c_str());
    msg->Pack();
    const unsigned char* p = (const unsigned char*)msg->GetPackPointer();
    out.insert(out.end(), p, p + msg->GetPackSize());
  }
  return out;
}

static void emit(const char* mode, long n, double secs, double extra, const char* extraName) {
  printf("{\"mode\":\"%s\",\"n\":%ld,\"seconds\":%.9f,\"perSecond\":%.3f,\"%s\":%.6f}\n", mode, n, secs, n / secs, extraName, extra);
}

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s crc|transform-decode|transform-encode|transform-send|status-decode|status-decode-distinct|status-encode|status-encode-distinct|status-send|status-send-distinct|string-send-distinct|string-decode-distinct|string-encode-distinct|image-encode|image-decode ...\n", argv[0]);
    return 2;
  }
  std::string mode = argv[1];
  if (mode == "crc") {
    long mib = argc > 2 ? atol(argv[2]) : 256;
    int reps = argc > 3 ? atoi(argv[3]) : 1;
    size_t len = (size_t)mib * 1024 * 1024;
    std::vector<unsigned char> buf(len);
    for (size_t i = 0; i < len; i++) buf[i] = (unsigned char)(i % 251);
    double best = 1e99;
    igtl_uint64 crc = 0;
    for (int r = 0; r < reps; r++) {
      double t0 = now_s();
      crc = crc64(buf.data(), len, 0);
      double t = now_s() - t0;
      best = std::min(best, t);
    }
    printf("{\"mode\":\"crc\",\"bytes\":%zu,\"seconds\":%.9f,\"mbPerSecond\":%.3f,\"crc\":\"%016llx\"}\n", len, best,
           len / best / 1e6, (unsigned long long)crc);
    return 0;
  }
  if (mode == "transform-decode" || mode == "status-decode" || mode == "status-decode-distinct" || mode == "string-decode-distinct") {
    long n = argc > 2 ? atol(argv[2]) : 1000000;
    int reps = argc > 3 ? atoi(argv[3]) : 1;
    bool isTransform = mode == "transform-decode";
    bool isString = mode == "string-decode-distinct";
    std::vector<unsigned char> buf = isTransform ? packTransforms(n) : isString ? packStrings(n) : packStatuses(n, mode == "status-decode-distinct");
    std::vector<double> times;
    double checksum = 0;
    for (int rep = 0; rep < reps; rep++) {
    igtl::MessageHeader::Pointer header = igtl::MessageHeader::New();
    igtl::TransformMessage::Pointer tmsg = igtl::TransformMessage::New();
    igtl::StatusMessage::Pointer smsg = igtl::StatusMessage::New();
    igtl::StringMessage::Pointer strmsg = igtl::StringMessage::New();
    igtl::Matrix4x4 m;
    checksum = 0;
    long ok = 0;
    size_t off = 0;
    double t0 = now_s();
    for (long i = 0; i < n; i++) {
      header->InitPack();
      memcpy(header->GetPackPointer(), &buf[off], header->GetPackSize());
      header->Unpack();
      off += header->GetPackSize();
      if (isTransform && strcmp(header->GetDeviceType(), "TRANSFORM") == 0) {
        tmsg->SetMessageHeader(header);
        tmsg->AllocatePack();
        memcpy(tmsg->GetPackBodyPointer(), &buf[off], tmsg->GetPackBodySize());
        off += tmsg->GetPackBodySize();
        int c = tmsg->Unpack(1);
        if (c & igtl::MessageHeader::UNPACK_BODY) {
          tmsg->GetMatrix(m);
          checksum += m[0][3] + strlen(tmsg->GetDeviceName());
          ok++;
        }
      } else if (isString && strcmp(header->GetDeviceType(), "STRING") == 0) {
        strmsg->SetMessageHeader(header);
        strmsg->AllocatePack();
        memcpy(strmsg->GetPackBodyPointer(), &buf[off], strmsg->GetPackBodySize());
        off += strmsg->GetPackBodySize();
        int c = strmsg->Unpack(1);
        if (c & igtl::MessageHeader::UNPACK_BODY) {
          checksum += strmsg->GetEncoding() + strlen(strmsg->GetString()) + strlen(strmsg->GetDeviceName());
          ok++;
        }
      } else if (!isTransform && !isString && strcmp(header->GetDeviceType(), "STATUS") == 0) {
        smsg->SetMessageHeader(header);
        smsg->AllocatePack();
        memcpy(smsg->GetPackBodyPointer(), &buf[off], smsg->GetPackBodySize());
        off += smsg->GetPackBodySize();
        int c = smsg->Unpack(1);
        if (c & igtl::MessageHeader::UNPACK_BODY) {
          checksum += smsg->GetCode() + strlen(smsg->GetStatusString()) + strlen(smsg->GetErrorName());
          ok++;
        }
      } else {
        off += header->GetBodySizeToRead();
      }
    }
    double secs = now_s() - t0;
    if (ok != n) { fprintf(stderr, "decoded %ld of %ld\n", ok, n); return 1; }
    times.push_back(secs);
    }
    std::sort(times.begin(), times.end());
    emit(mode.c_str(), n, times[times.size() / 2], checksum, "checksum");
    return 0;
  }
  if (mode == "transform-send" || mode == "status-send" || mode == "status-send-distinct" || mode == "string-send-distinct") {
    // The send path of a C++ application: a message object per message (New()), its fields set,
    // Pack() into the pack buffer it allocates, the bytes then handed to the socket (here: their
    // last byte is read) and the object released.
    long n = argc > 2 ? atol(argv[2]) : 1000000;
    int reps = argc > 3 ? atoi(argv[3]) : 1;
    bool isTransform = mode == "transform-send";
    bool isString = mode == "string-send-distinct";
    // *-send-distinct: the i-th message's text is the i-th distinct text (cycled past TEXT_POOL).
    bool distinct = mode == "status-send-distinct" || isString;
    std::vector<std::string> texts = distinct ? distinctTexts() : std::vector<std::string>();
    std::vector<igtl::Matrix4x4> mats(POOL);
    for (int k = 0; k < POOL; k++) poolMatrix(k, mats[k]);
    std::vector<double> times;
    double bytes = 0;
    long check = 0;
    for (int rep = 0; rep < reps; rep++) {
      bytes = 0;
      double t0 = now_s();
      for (long i = 0; i < n; i++) {
        int k = (int)(i % POOL);
        if (isTransform) {
          igtl::TransformMessage::Pointer tmsg = igtl::TransformMessage::New();
          tmsg->SetDeviceName(DEVICES[k % 4]);
          tmsg->SetTimeStamp(1700000000u + (unsigned)k, (unsigned)k * 4096u);
          tmsg->SetMatrix(mats[k]);
          tmsg->Pack();
          check += ((const unsigned char*)tmsg->GetPackPointer())[tmsg->GetPackSize() - 1];
          bytes += tmsg->GetPackSize();
        } else if (isString) {
          // Device name and timestamp as in the STRING encode loop.
          int c = (int)(i % TEXT_POOL);
          igtl::StringMessage::Pointer strmsg = igtl::StringMessage::New();
          strmsg->SetDeviceName(DEVICES[c % 4]);
          strmsg->SetTimeStamp(1700000000u + (unsigned)(c % POOL), 0);
          strmsg->SetString(texts[c].c_str());
          strmsg->Pack();
          check += ((const unsigned char*)strmsg->GetPackPointer())[strmsg->GetPackSize() - 1];
          bytes += strmsg->GetPackSize();
        } else {
          igtl::StatusMessage::Pointer smsg = igtl::StatusMessage::New();
          smsg->SetDeviceName(DEVICES[k % 4]);
          smsg->SetTimeStamp(1700000000u + (unsigned)k, 0);
          smsg->SetCode(1 + k % 19);
          smsg->SetSubCode((igtlInt64)k * 1000);
          smsg->SetErrorName(k % 2 ? "TrackerError" : "");
          smsg->SetStatusString(distinct ? texts[i % TEXT_POOL].c_str() : STATUS_TEXT[k % 4]);
          smsg->Pack();
          check += ((const unsigned char*)smsg->GetPackPointer())[smsg->GetPackSize() - 1];
          bytes += smsg->GetPackSize();
        }
      }
      times.push_back(now_s() - t0);
    }
    std::sort(times.begin(), times.end());
    if (check < 0) return 1;  // keeps the reads
    emit(mode.c_str(), n, times[times.size() / 2], bytes, "bytes");
    return 0;
  }
  if (mode == "transform-encode" || mode == "status-encode" || mode == "status-encode-distinct" || mode == "string-encode-distinct") {
    long n = argc > 2 ? atol(argv[2]) : 1000000;
    int reps = argc > 3 ? atoi(argv[3]) : 1;
    bool isTransform = mode == "transform-encode";
    bool isString = mode == "string-encode-distinct";
    bool distinct = mode == "status-encode-distinct" || isString;
    std::vector<std::string> texts = distinct ? distinctTexts() : std::vector<std::string>();
    std::vector<unsigned char> out((size_t)n * (isTransform ? 106 : 160));
    igtl::TransformMessage::Pointer tmsg = igtl::TransformMessage::New();
    igtl::StatusMessage::Pointer smsg = igtl::StatusMessage::New();
    igtl::StringMessage::Pointer strmsg = igtl::StringMessage::New();
    // The contents to send, prepared beforehand as a C++ user holds them (the JS side prebuilds its messages too).
    std::vector<igtl::Matrix4x4> mats(POOL);
    for (int k = 0; k < POOL; k++) poolMatrix(k, mats[k]);
    std::vector<double> times;
    size_t off = 0;
    for (int rep = 0; rep < reps; rep++) {
    off = 0;
    double t0 = now_s();
    for (long i = 0; i < n; i++) {
      int k = (int)(i % POOL);
      if (isTransform) {
        tmsg->SetDeviceName(DEVICES[k % 4]);
        tmsg->SetTimeStamp(1700000000u + (unsigned)k, (unsigned)k * 4096u);
        tmsg->SetMatrix(mats[k]);
        tmsg->Pack();
        memcpy(&out[off], tmsg->GetPackPointer(), tmsg->GetPackSize());
        off += tmsg->GetPackSize();
      } else if (isString) {
        int c = (int)(i % TEXT_POOL);
        strmsg->SetDeviceName(DEVICES[c % 4]);
        strmsg->SetTimeStamp(1700000000u + (unsigned)(c % POOL), 0);
        strmsg->SetString(texts[c].c_str());
        strmsg->Pack();
        memcpy(&out[off], strmsg->GetPackPointer(), strmsg->GetPackSize());
        off += strmsg->GetPackSize();
      } else {
        int c = distinct ? (int)(i % TEXT_POOL) : k;
        smsg->SetDeviceName(DEVICES[c % 4]);
        smsg->SetTimeStamp(1700000000u + (unsigned)(c % POOL), 0);
        smsg->SetCode(1 + c % 19);
        smsg->SetSubCode((igtlInt64)c * 1000);
        smsg->SetErrorName(c % 2 ? "TrackerError" : "");
        smsg->SetStatusString(distinct ? texts[c].c_str() : STATUS_TEXT[k % 4]);
        smsg->Pack();
        memcpy(&out[off], smsg->GetPackPointer(), smsg->GetPackSize());
        off += smsg->GetPackSize();
      }
    }
    times.push_back(now_s() - t0);
    }
    std::sort(times.begin(), times.end());
    emit(mode.c_str(), n, times[times.size() / 2], (double)off, "bytes");
    return 0;
  }
  if (mode == "image-encode" || mode == "image-decode") {
    int reps = argc > 2 ? atoi(argv[2]) : 5;
    igtl::ImageMessage::Pointer img = igtl::ImageMessage::New();
    img->SetDimensions(512, 512, 100);
    img->SetScalarTypeToUint16();
    img->SetSpacing(0.5f, 0.5f, 1.0f);
    img->SetOrigin(0.0f, 0.0f, 0.0f);
    img->SetDeviceName("Volume");
    img->AllocateScalars();
    unsigned short* px = (unsigned short*)img->GetScalarPointer();
    size_t count = (size_t)512 * 512 * 100;
    for (size_t i = 0; i < count; i++) px[i] = (unsigned short)(i * 7);
    double best = 1e99;
    if (mode == "image-encode") {
      // The pixels live in the message's pack buffer already (GetScalarPointer): Pack() writes
      // the headers and computes the CRC over the whole body.
      for (int r = 0; r < reps; r++) {
        px[r] = (unsigned short)r;
        double t0 = now_s();
        img->Pack();
        best = std::min(best, now_s() - t0);
      }
      printf("{\"mode\":\"image-encode\",\"bytes\":%d,\"seconds\":%.9f}\n", img->GetPackSize(), best);
      return 0;
    }
    img->Pack();
    std::vector<unsigned char> wire((unsigned char*)img->GetPackPointer(), (unsigned char*)img->GetPackPointer() + img->GetPackSize());
    igtl::MessageHeader::Pointer header = igtl::MessageHeader::New();
    igtl::ImageMessage::Pointer rx = igtl::ImageMessage::New();
    double sum = 0;
    for (int r = 0; r < reps; r++) {
      double t0 = now_s();
      header->InitPack();
      memcpy(header->GetPackPointer(), wire.data(), header->GetPackSize());
      header->Unpack();
      rx->SetMessageHeader(header);
      rx->AllocatePack();
      // A receiver reads the body straight into the message's buffer; in memory that is a memcpy.
      memcpy(rx->GetPackBodyPointer(), wire.data() + header->GetPackSize(), rx->GetPackBodySize());
      int c = rx->Unpack(1);
      double t = now_s() - t0;
      if (!(c & igtl::MessageHeader::UNPACK_BODY)) { fprintf(stderr, "image unpack failed\n"); return 1; }
      sum += ((unsigned short*)rx->GetScalarPointer())[r];
      best = std::min(best, t);
    }
    printf("{\"mode\":\"image-decode\",\"bytes\":%zu,\"seconds\":%.9f,\"checksum\":%f}\n", wire.size(), best, sum);
    return 0;
  }
  fprintf(stderr, "unknown mode %s\n", mode.c_str());
  return 2;
}
