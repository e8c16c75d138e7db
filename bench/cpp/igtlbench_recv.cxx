// The receiving side of the loopback benchmarks, written the way the library's examples receive
// (ReceiveClient.cxx): igtl::ClientSocket, Receive(58-byte header), MessageHeader::Unpack(),
// Receive(body) into the message's buffer, Unpack(1) with the CRC check, read the content.
// Message objects are reused across messages (faster than the examples' one per message).
//
// Usage: igtlbench_recv <host> <port> <mode> <count>
//   transform  count TRANSFORMs; rate from connect to the last one
//   latency    TRANSFORMs stamped with CLOCK_MONOTONIC by igtlbench_send: p50/p99/max of now - stamp
//   image      count IMAGEs; time from connect to the last one decoded
// Prints one JSON line.
#include <algorithm>
#include <string>
#include <vector>
#include "benchutil.h"
#include "igtlClientSocket.h"
#include "igtlImageMessage.h"
#include "igtlMessageHeader.h"
#include "igtlTransformMessage.h"
#include "igtl_util.h"

int main(int argc, char** argv) {
  if (argc < 5) {
    fprintf(stderr, "usage: %s <host> <port> transform|latency|image <count>\n", argv[0]);
    return 2;
  }
  std::string mode = argv[3];
  long count = atol(argv[4]);
  igtl::ClientSocket::Pointer socket = igtl::ClientSocket::New();
  double t0 = now_s();
  if (socket->ConnectToServer(argv[1], atoi(argv[2])) != 0) {
    fprintf(stderr, "cannot connect\n");
    return 1;
  }
  igtl::MessageHeader::Pointer header = igtl::MessageHeader::New();
  igtl::TransformMessage::Pointer tmsg = igtl::TransformMessage::New();
  igtl::ImageMessage::Pointer img = igtl::ImageMessage::New();
  igtl::Matrix4x4 m;
  std::vector<double> lat;
  if (mode == "latency") lat.reserve(count);
  long got = 0, bad = 0;
  double checksum = 0;
  double tLast = t0;
  while (got < count) {
    header->InitPack();
    int r = socket->Receive(header->GetPackPointer(), header->GetPackSize());
    if (r != header->GetPackSize()) break;
    header->Unpack();
    if (strcmp(header->GetDeviceType(), "TRANSFORM") == 0) {
      tmsg->SetMessageHeader(header);
      tmsg->AllocatePack();
      if (socket->Receive(tmsg->GetPackBodyPointer(), tmsg->GetPackBodySize()) != tmsg->GetPackBodySize()) break;
      int c = tmsg->Unpack(1);
      if (!(c & igtl::MessageHeader::UNPACK_BODY)) { bad++; continue; }
      tmsg->GetMatrix(m);
      checksum += m[0][3];
      if (mode == "latency") {
        unsigned int sec, frac;
        tmsg->GetTimeStamp(&sec, &frac);
        long long sent = (long long)sec * 1000000000LL + igtl_frac_to_nanosec(frac);
        if (got >= count / 10) lat.push_back((now_ns() - sent) / 1e6);  // the first 10% are a warm-up
      }
      got++;
    } else if (strcmp(header->GetDeviceType(), "IMAGE") == 0) {
      img->SetMessageHeader(header);
      img->AllocatePack();
      if (socket->Receive(img->GetPackBodyPointer(), img->GetPackBodySize()) != img->GetPackBodySize()) break;
      int c = img->Unpack(1);
      if (!(c & igtl::MessageHeader::UNPACK_BODY)) { bad++; continue; }
      checksum += ((unsigned short*)img->GetScalarPointer())[0];
      got++;
    } else {
      socket->Skip(header->GetBodySizeToRead(), 1);
    }
    tLast = now_s();
  }
  double secs = tLast - t0;
  socket->CloseSocket();
  if (mode == "latency") {
    std::sort(lat.begin(), lat.end());
    auto pct = [&](double p) { return lat.empty() ? 0.0 : lat[std::min(lat.size() - 1, (size_t)(p * lat.size()))]; };
    printf("{\"mode\":\"latency\",\"received\":%ld,\"bad\":%ld,\"p50\":%.6f,\"p99\":%.6f,\"max\":%.6f,\"cpuSeconds\":%.6f}\n", got, bad, pct(0.5),
           pct(0.99), lat.empty() ? 0.0 : lat.back(), cpu_s());
  } else {
    printf("{\"mode\":\"%s\",\"received\":%ld,\"bad\":%ld,\"seconds\":%.6f,\"perSecond\":%.3f,\"checksum\":%f,\"cpuSeconds\":%.6f}\n", mode.c_str(), got, bad,
           secs, got / secs, checksum, cpu_s());
  }
  return got == count ? 0 : 1;
}
