// Decodes framed OpenIGTLink messages (header v1) with the official C++ library, the way a C++
// receiver does (MessageHeader::Unpack, then the message's Unpack(1) with the CRC check), and
// prints one JSON line per message: the header fields, both Unpack results and the decoded values
// of the common types. test/interop/decode-differential.test.ts compares these lines with
// igtl-rx's decoder on borderline and damaged messages.
//
// Input (stdin): records of [uint32 big-endian length][that many bytes of one frame]. The frame's
// BODY_SIZE may differ from the bytes present: the body buffer gets BODY_SIZE bytes (as a socket
// receiver reads), filled from what is present and zero beyond it; "present" says how many bytes
// there were.
//
// Each message is decoded in a child process (fork), with a memory limit and an alarm, so that a
// crash or an endless loop of the library on one message is reported as {"crash":SIGNAL} for it
// and the run goes on with the next. Strings are printed as hex (they may hold any byte); floats
// with 17 significant digits (exact), non-finite ones as the strings "nan"/"inf"/"-inf".
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "igtlMessageHeader.h"
#include "igtl_header.h"
#include "igtlTransformMessage.h"
#include "igtlPositionMessage.h"
#include "igtlQuaternionTrackingDataMessage.h"
#include "igtlTrackingDataMessage.h"
#include "igtlStatusMessage.h"
#include "igtlStringMessage.h"
#include "igtlImageMessage.h"
#include "igtlPointMessage.h"
#include "igtlSensorMessage.h"
#include "igtlNDArrayMessage.h"
#include "igtlPolyDataMessage.h"
#include "igtlTrajectoryMessage.h"
#include "igtlImageMetaMessage.h"
#include "igtlLabelMetaMessage.h"
#include "igtlColorTableMessage.h"
#include "igtlCapabilityMessage.h"
#include "igtlBindMessage.h"

static std::string out;

static void hexOf(const char* s, size_t n) {
  static const char* digits = "0123456789abcdef";
  out += '"';
  for (size_t i = 0; i < n; i++) {
    out += digits[(unsigned char)s[i] >> 4];
    out += digits[(unsigned char)s[i] & 15];
  }
  out += '"';
}
static void str(const char* s) { hexOf(s, strlen(s)); }
static void num(double v) {
  char buf[40];
  if (std::isnan(v)) snprintf(buf, sizeof buf, "\"nan\"");
  else if (std::isinf(v)) snprintf(buf, sizeof buf, v > 0 ? "\"inf\"" : "\"-inf\"");
  else snprintf(buf, sizeof buf, "%.17g", v);
  out += buf;
}
static void integer(long long v) { out += std::to_string(v); }
static void key(const char* k) {
  if (out.back() != '{' && out.back() != '[') out += ',';
  out += '"';
  out += k;
  out += "\":";
}
static void floats(const float* v, int n) {
  out += '[';
  for (int i = 0; i < n; i++) {
    if (i) out += ',';
    num(v[i]);
  }
  out += ']';
}
static void bytes(const igtlUint8* v, int n) {
  out += '[';
  for (int i = 0; i < n; i++) {
    if (i) out += ',';
    integer(v[i]);
  }
  out += ']';
}
static void shorts(const igtlUint16* v, int n) {
  out += '[';
  for (int i = 0; i < n; i++) {
    if (i) out += ',';
    integer(v[i]);
  }
  out += ']';
}
// FNV-1a (32 bit) of a payload, with its length: payloads are compared, not printed.
static void digest(const void* data, size_t n) {
  unsigned int h = 2166136261u;
  for (size_t i = 0; i < n; i++) h = (h ^ ((const unsigned char*)data)[i]) * 16777619u;
  out += "{\"bytes\":" + std::to_string(n) + ",\"fnv\":" + std::to_string(h) + "}";
}
static void matrix(igtl::Matrix4x4& m) { // upper 3x4, row by row
  out += '[';
  for (int r = 0; r < 3; r++)
    for (int c = 0; c < 4; c++) {
      if (r || c) out += ',';
      num(m[r][c]);
    }
  out += ']';
}

// Unpack(1) of a message whose header is `header` and whose body bytes are `body`.
template <class M>
static typename M::Pointer unpack(igtl::MessageHeader* header, const unsigned char* body, size_t present) {
  typename M::Pointer msg = M::New();
  msg->SetMessageHeader(header);
  msg->AllocatePack();
  size_t size = (size_t)msg->GetPackBodySize();
  memset(msg->GetPackBodyPointer(), 0, size);
  memcpy(msg->GetPackBodyPointer(), body, present < size ? present : size);
  int r = msg->Unpack(1);
  key("unpack");
  integer(r);
  return msg;
}

static void decodeValues(igtl::MessageHeader* h, const unsigned char* body, size_t present) {
  std::string type = h->GetDeviceType();
  if (type == "TRANSFORM") {
    igtl::TransformMessage::Pointer m = unpack<igtl::TransformMessage>(h, body, present);
    igtl::Matrix4x4 mx;
    m->GetMatrix(mx);
    key("matrix");
    matrix(mx);
  } else if (type == "POSITION") {
    igtl::PositionMessage::Pointer m = unpack<igtl::PositionMessage>(h, body, present);
    float p[3], q[4];
    m->GetPosition(p);
    m->GetQuaternion(q);
    key("packType"); integer(m->GetPackType());
    key("position"); floats(p, 3);
    key("quaternion"); floats(q, 4);
  } else if (type == "TDATA") {
    igtl::TrackingDataMessage::Pointer m = unpack<igtl::TrackingDataMessage>(h, body, present);
    key("elements");
    out += '[';
    for (int i = 0; i < m->GetNumberOfTrackingDataElements(); i++) {
      igtl::TrackingDataElement::Pointer e;
      m->GetTrackingDataElement(i, e);
      igtl::Matrix4x4 mx;
      e->GetMatrix(mx);
      out += i ? ",{" : "{";
      key("name"); str(e->GetName());
      key("type"); integer(e->GetType());
      key("matrix"); matrix(mx);
      out += '}';
    }
    out += ']';
  } else if (type == "QTDATA") {
    igtl::QuaternionTrackingDataMessage::Pointer m = unpack<igtl::QuaternionTrackingDataMessage>(h, body, present);
    key("elements");
    out += '[';
    for (int i = 0; i < m->GetNumberOfQuaternionTrackingDataElements(); i++) {
      igtl::QuaternionTrackingDataElement::Pointer e;
      m->GetQuaternionTrackingDataElement(i, e);
      float p[3], q[4];
      e->GetPosition(p);
      e->GetQuaternion(q);
      out += i ? ",{" : "{";
      key("name"); str(e->GetName());
      key("type"); integer(e->GetType());
      key("position"); floats(p, 3);
      key("quaternion"); floats(q, 4);
      out += '}';
    }
    out += ']';
  } else if (type == "STATUS") {
    igtl::StatusMessage::Pointer m = unpack<igtl::StatusMessage>(h, body, present);
    key("code"); integer(m->GetCode());
    key("subcode"); out += '"' + std::to_string((long long)m->GetSubCode()) + '"';
    key("errorName"); str(m->GetErrorName());
    key("statusMessage"); str(m->GetStatusString());
  } else if (type == "STRING") {
    igtl::StringMessage::Pointer m = unpack<igtl::StringMessage>(h, body, present);
    key("encoding"); integer(m->GetEncoding());
    key("value"); str(m->GetString());
  } else if (type == "IMAGE") {
    igtl::ImageMessage::Pointer m = unpack<igtl::ImageMessage>(h, body, present);
    int d[3], sd[3], so[3];
    float sp[3], org[3];
    m->GetDimensions(d);
    m->GetSubVolume(sd, so);
    m->GetSpacing(sp);
    m->GetOrigin(org);
    key("scalarType"); integer(m->GetScalarType());
    key("components"); integer(m->GetNumComponents());
    key("endian"); integer(m->GetEndian());
    key("coordinate"); integer(m->GetCoordinateSystem());
    key("size"); out += "[" + std::to_string(d[0]) + "," + std::to_string(d[1]) + "," + std::to_string(d[2]) + "]";
    key("subvolumeSize"); out += "[" + std::to_string(sd[0]) + "," + std::to_string(sd[1]) + "," + std::to_string(sd[2]) + "]";
    key("subvolumeOffset"); out += "[" + std::to_string(so[0]) + "," + std::to_string(so[1]) + "," + std::to_string(so[2]) + "]";
    key("spacing"); floats(sp, 3);
    key("origin"); floats(org, 3);
    key("pixels"); digest(m->GetScalarPointer(), (size_t)m->GetSubVolumeImageSize());
  } else if (type == "POINT") {
    igtl::PointMessage::Pointer m = unpack<igtl::PointMessage>(h, body, present);
    key("points");
    out += '[';
    for (int i = 0; i < m->GetNumberOfPointElement(); i++) {
      igtl::PointElement::Pointer e;
      m->GetPointElement(i, e);
      float p[3];
      igtlUint8 rgba[4];
      e->GetPosition(p);
      e->GetRGBA(rgba);
      out += i ? ",{" : "{";
      key("name"); str(e->GetName());
      key("group"); str(e->GetGroupName());
      key("rgba"); out += "[" + std::to_string(rgba[0]) + "," + std::to_string(rgba[1]) + "," + std::to_string(rgba[2]) + "," + std::to_string(rgba[3]) + "]";
      key("position"); floats(p, 3);
      key("radius"); num(e->GetRadius());
      key("owner"); str(e->GetOwner());
      out += '}';
    }
    out += ']';
  } else if (type == "SENSOR") {
    igtl::SensorMessage::Pointer m = unpack<igtl::SensorMessage>(h, body, present);
    key("unit"); out += '"' + std::to_string((unsigned long long)m->GetUnit()) + '"';
    key("values");
    out += '[';
    for (unsigned int i = 0; i < m->GetLength(); i++) {
      if (i) out += ',';
      num(m->GetValue(i));
    }
    out += ']';
  } else if (type == "NDARRAY") {
    igtl::NDArrayMessage::Pointer m = unpack<igtl::NDArrayMessage>(h, body, present);
    key("scalarType"); integer(m->GetType());
    igtl::ArrayBase* a = m->GetArray();
    key("size");
    out += '[';
    if (a) {
      igtl::ArrayBase::IndexType s = a->GetSize();
      for (size_t i = 0; i < s.size(); i++) {
        if (i) out += ',';
        integer(s[i]);
      }
    }
    out += ']';
    if (a) {
      key("data"); digest(a->GetRawArray(), (size_t)a->GetRawArraySize());
    }
  } else if (type == "POLYDATA") {
    igtl::PolyDataMessage::Pointer m = unpack<igtl::PolyDataMessage>(h, body, present);
    key("points"); integer(m->GetPoints() ? m->GetPoints()->GetNumberOfPoints() : -1);
    key("vertices"); integer(m->GetVertices() ? (long long)m->GetVertices()->GetNumberOfCells() : -1);
    key("lines"); integer(m->GetLines() ? (long long)m->GetLines()->GetNumberOfCells() : -1);
    key("polygons"); integer(m->GetPolygons() ? (long long)m->GetPolygons()->GetNumberOfCells() : -1);
    key("strips"); integer(m->GetTriangleStrips() ? (long long)m->GetTriangleStrips()->GetNumberOfCells() : -1);
    key("attributes");
    out += '[';
    for (int i = 0; i < m->GetNumberOfAttributes(); i++) {
      igtl::PolyDataAttribute* a = m->GetAttribute(i);
      out += i ? ",{" : "{";
      key("type"); integer(a->GetType());
      key("ncomponents"); integer(a->GetNumberOfComponents());
      key("n"); integer(a->GetSize());
      key("name"); str(a->GetName());
      out += '}';
    }
    out += ']';
  } else if (type == "TRAJ") {
    igtl::TrajectoryMessage::Pointer m = unpack<igtl::TrajectoryMessage>(h, body, present);
    key("trajectories");
    out += '[';
    for (int i = 0; i < m->GetNumberOfTrajectoryElement(); i++) {
      igtl::TrajectoryElement::Pointer e;
      m->GetTrajectoryElement(i, e);
      float entry[3], target[3];
      igtlUint8 rgba[4];
      e->GetEntryPosition(entry);
      e->GetTargetPosition(target);
      e->GetRGBA(rgba);
      out += i ? ",{" : "{";
      key("name"); str(e->GetName());
      key("group"); str(e->GetGroupName());
      key("type"); integer(e->GetType());
      key("rgba"); bytes(rgba, 4);
      key("entry"); floats(entry, 3);
      key("target"); floats(target, 3);
      key("radius"); num(e->GetRadius());
      key("owner"); str(e->GetOwner());
      out += '}';
    }
    out += ']';
  } else if (type == "IMGMETA") {
    igtl::ImageMetaMessage::Pointer m = unpack<igtl::ImageMetaMessage>(h, body, present);
    key("images");
    out += '[';
    for (int i = 0; i < m->GetNumberOfImageMetaElement(); i++) {
      igtl::ImageMetaElement::Pointer e;
      m->GetImageMetaElement(i, e);
      igtlUint16 size[3];
      e->GetSize(size);
      out += i ? ",{" : "{";
      key("name"); str(e->GetName());
      key("deviceName"); str(e->GetDeviceName());
      key("modality"); str(e->GetModality());
      key("patientName"); str(e->GetPatientName());
      key("patientId"); str(e->GetPatientID());
      key("size"); shorts(size, 3);
      key("scalarType"); integer(e->GetScalarType());
      out += '}';
    }
    out += ']';
  } else if (type == "LBMETA") {
    igtl::LabelMetaMessage::Pointer m = unpack<igtl::LabelMetaMessage>(h, body, present);
    key("labels");
    out += '[';
    for (int i = 0; i < m->GetNumberOfLabelMetaElement(); i++) {
      igtl::LabelMetaElement::Pointer e;
      m->GetLabelMetaElement(i, e);
      igtlUint16 size[3];
      igtlUint8 rgba[4];
      e->GetSize(size);
      e->GetRGBA(rgba);
      out += i ? ",{" : "{";
      key("name"); str(e->GetName());
      key("deviceName"); str(e->GetDeviceName());
      key("label"); integer(e->GetLabel());
      key("rgba"); bytes(rgba, 4);
      key("size"); shorts(size, 3);
      key("owner"); str(e->GetOwner());
      out += '}';
    }
    out += ']';
  } else if (type == "COLORT") {
    igtl::ColorTableMessage::Pointer m = unpack<igtl::ColorTableMessage>(h, body, present);
    key("indexType"); integer(m->GetIndexType());
    key("mapType"); integer(m->GetMapType());
    key("tableBytes"); integer(m->GetColorTableSize());
  } else if (type == "CAPABILITY") {
    igtl::CapabilityMessage::Pointer m = unpack<igtl::CapabilityMessage>(h, body, present);
    key("types");
    out += '[';
    for (int i = 0; i < m->GetNumberOfTypes(); i++) {
      if (i) out += ',';
      str(m->GetType(i));
    }
    out += ']';
  } else if (type == "BIND") {
    igtl::BindMessage::Pointer m = unpack<igtl::BindMessage>(h, body, present);
    key("children");
    out += '[';
    for (int i = 0; i < m->GetNumberOfChildMessages(); i++) {
      if (i) out += ',';
      str(m->GetChildMessageType(i));
    }
    out += ']';
  } else {
    key("unsupported"); out += "true";
  }
}

// Decodes one frame of `n` bytes (in a child process) and writes its JSON line.
static void decodeOne(const unsigned char* frame, size_t n) {
  out = "{";
  key("present"); integer((long long)n);
  if (n < IGTL_HEADER_SIZE) {
    key("header"); out += "false";
  } else {
    igtl::MessageHeader::Pointer h = igtl::MessageHeader::New();
    h->InitPack();
    memcpy(h->GetPackPointer(), frame, IGTL_HEADER_SIZE);
    key("headerUnpack"); integer(h->Unpack());
    key("version"); integer(frame[0] << 8 | frame[1]);
    key("type"); str(h->GetDeviceType());
    key("deviceName"); str(h->GetDeviceName());
    key("bodySize"); integer(h->GetBodySizeToRead());
    decodeValues(h, frame + IGTL_HEADER_SIZE, n - IGTL_HEADER_SIZE);
  }
  out += "}\n";
  fwrite(out.data(), 1, out.size(), stdout);
  fflush(stdout);
}

int main() {
  std::vector<unsigned char> frame;
  unsigned char len[4];
  while (fread(len, 1, 4, stdin) == 4) {
    size_t n = (size_t)len[0] << 24 | (size_t)len[1] << 16 | (size_t)len[2] << 8 | len[3];
    frame.resize(n);
    if (n > 0 && fread(frame.data(), 1, n, stdin) != n) {
      fprintf(stderr, "igtl_decode_probe: input ends inside a record\n");
      return 2;
    }
    fflush(stdout);
    pid_t child = fork();
    if (child < 0) {
      perror("fork");
      return 2;
    }
    if (child == 0) {
      // An allocation from a lying count fails at once (bad_alloc: a crash line) instead of filling
      // hundreds of MiB: no message of the test needs more than a few.
      struct rlimit mem = {64u << 20, 64u << 20};
      setrlimit(RLIMIT_AS, &mem);
      // No core files (a crash is expected here, and dumping one costs more than the decoding),
      // and no library messages (the crash line says what happened).
      struct rlimit core = {0, 0};
      setrlimit(RLIMIT_CORE, &core);
      if (!freopen("/dev/null", "w", stderr)) _exit(3);
      alarm(5);
      decodeOne(frame.data(), n);
      _exit(0);
    }
    int status = 0;
    waitpid(child, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      printf("{\"crash\":%d}\n", WIFSIGNALED(status) ? WTERMSIG(status) : 1000 + WEXITSTATUS(status));
    }
  }
  return 0;
}
