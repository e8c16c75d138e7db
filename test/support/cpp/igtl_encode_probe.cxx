// Packs borderline messages (header v1) with the official C++ library, as a C++ sender would
// send them: empty lists and texts, names that fill their field, odd-length POLYDATA attribute
// names, a BIND with an odd-size child, every POSITION form, ... test/interop/decode-differential.test.ts
// decodes each with igtl-rx and with igtl_decode_probe and compares.
//
// Usage: igtl_encode_probe names    one name per line, in the order of the frames
//        igtl_encode_probe frames   the frames as records of [uint32 big-endian length][frame]
#include <cstdio>
#include <cstring>
#include <unistd.h>
#include <string>
#include <vector>

#include "igtlBindMessage.h"
#include "igtlCapabilityMessage.h"
#include "igtlImageMessage.h"
#include "igtlImageMetaMessage.h"
#include "igtlLabelMetaMessage.h"
#include "igtlNDArrayMessage.h"
#include "igtlPointMessage.h"
#include "igtlPolyDataMessage.h"
#include "igtlPositionMessage.h"
#include "igtlQuaternionTrackingDataMessage.h"
#include "igtlSensorMessage.h"
#include "igtlStatusMessage.h"
#include "igtlStringMessage.h"
#include "igtlTrackingDataMessage.h"
#include "igtlTrajectoryMessage.h"
#include "igtlTransformMessage.h"

struct Frame {
  std::string name;
  std::vector<unsigned char> bytes;
};
static std::vector<Frame> frames;

static void add(const char* name, igtl::MessageBase* msg) {
  msg->SetTimeStamp(1700000000u, 0x40000000u);
  msg->Pack();
  const unsigned char* p = (const unsigned char*)msg->GetPackPointer();
  frames.push_back({name, std::vector<unsigned char>(p, p + msg->GetPackSize())});
}

static igtl::PolyDataAttribute::Pointer attribute(int type, int components, const char* name, int n) {
  igtl::PolyDataAttribute::Pointer a = igtl::PolyDataAttribute::New();
  a->SetType(type, components);
  a->SetName(name);
  a->SetSize(n);
  std::vector<igtlFloat32> data((size_t)n * a->GetNumberOfComponents(), 0.5f);
  a->SetData(data.data());
  return a;
}

static igtl::PolyDataMessage::Pointer polydata(int points) {
  igtl::PolyDataMessage::Pointer m = igtl::PolyDataMessage::New();
  m->SetDeviceName("Model");
  if (points > 0) {
    igtl::PolyDataPointArray::Pointer p = igtl::PolyDataPointArray::New();
    for (int i = 0; i < points; i++) p->AddPoint((float)i, 1.0f, 2.0f);
    m->SetPoints(p);
  }
  return m;
}

static void polydatas() {
  igtl::PolyDataMessage::Pointer m = polydata(0);
  add("POLYDATA with nothing", m);

  m = polydata(2);
  add("POLYDATA with points only", m);

  // Attribute names of odd total length ("a\0" + "bc\0" = 5 bytes): the spec pads them to even.
  m = polydata(3);
  igtl::PolyDataCellArray::Pointer polygons = igtl::PolyDataCellArray::New();
  igtlUint32 triangle[3] = {0, 1, 2};
  polygons->AddCell(3, triangle);
  m->SetPolygons(polygons);
  m->AddAttribute(attribute(igtl::PolyDataAttribute::POINT_SCALAR, 1, "a", 3));
  m->AddAttribute(attribute(igtl::PolyDataAttribute::POINT_VECTOR, 3, "bc", 3));
  add("POLYDATA with attribute names of odd total length", m);

  // Even total length ("abc\0" = 4 bytes), a cell attribute, scalars of 2 components.
  m = polydata(3);
  polygons = igtl::PolyDataCellArray::New();
  polygons->AddCell(3, triangle);
  m->SetPolygons(polygons);
  m->AddAttribute(attribute(igtl::PolyDataAttribute::CELL_SCALAR, 2, "abc", 1));
  add("POLYDATA with a cell attribute of 2 components", m);

  // Every kind of cell, one of each, with cells of 1 and 4 points.
  m = polydata(4);
  igtlUint32 one[1] = {3};
  igtlUint32 four[4] = {0, 1, 2, 3};
  igtl::PolyDataCellArray::Pointer vertices = igtl::PolyDataCellArray::New();
  vertices->AddCell(1, one);
  igtl::PolyDataCellArray::Pointer lines = igtl::PolyDataCellArray::New();
  lines->AddCell(4, four);
  igtl::PolyDataCellArray::Pointer strips = igtl::PolyDataCellArray::New();
  strips->AddCell(4, four);
  m->SetVertices(vertices);
  m->SetLines(lines);
  m->SetTriangleStrips(strips);
  add("POLYDATA with vertices, lines and strips", m);
}

static void texts() {
  igtl::StatusMessage::Pointer s = igtl::StatusMessage::New();
  s->SetDeviceName("Tracker");
  s->SetCode(igtl::StatusMessage::STATUS_OK);
  s->SetSubCode(0);
  s->SetErrorName("");
  s->SetStatusString("");
  add("STATUS with empty texts", s);

  s = igtl::StatusMessage::New();
  s->SetDeviceName("Tracker");
  s->SetCode(igtl::StatusMessage::STATUS_NOT_READY);
  s->SetSubCode(-1);
  s->SetErrorName("ErrorNameOf20Chars__");
  s->SetStatusString("x");
  add("STATUS with an error name of 20 characters", s);

  igtl::StringMessage::Pointer t = igtl::StringMessage::New();
  t->SetDeviceName("Note");
  t->SetString("");
  add("STRING empty", t);

  t = igtl::StringMessage::New();
  t->SetDeviceName("Note");
  std::string longText(65535, 'a');
  t->SetString(longText);
  add("STRING of 65535 bytes", t);

  igtl::CapabilityMessage::Pointer c = igtl::CapabilityMessage::New();
  add("CAPABILITY with no type", c);

  c = igtl::CapabilityMessage::New();
  std::vector<std::string> types;
  types.push_back("TRANSFORM");
  types.push_back("ABCDEFGHIJKL");
  c->SetTypes(types);
  add("CAPABILITY with a type of 12 characters", c);
}

static void lists() {
  igtl::TrackingDataMessage::Pointer td = igtl::TrackingDataMessage::New();
  td->SetDeviceName("Tracker");
  add("TDATA with no element", td);

  td = igtl::TrackingDataMessage::New();
  igtl::TrackingDataElement::Pointer e = igtl::TrackingDataElement::New();
  e->SetName("ToolNameOf20Chars___");
  e->SetType(igtl::TrackingDataElement::TYPE_6D);
  e->SetPosition(1.0f, 2.0f, 3.0f);
  td->AddTrackingDataElement(e);
  add("TDATA with a tool name of 20 characters", td);

  igtl::QuaternionTrackingDataMessage::Pointer qt = igtl::QuaternionTrackingDataMessage::New();
  add("QTDATA with no element", qt);

  igtl::PointMessage::Pointer pt = igtl::PointMessage::New();
  add("POINT with no point", pt);

  pt = igtl::PointMessage::New();
  igtl::PointElement::Pointer p = igtl::PointElement::New();
  p->SetName(std::string(63, 'n').c_str());
  p->SetGroupName(std::string(31, 'g').c_str());
  p->SetOwner(std::string(19, 'o').c_str());
  p->SetPosition(1.0f, 2.0f, 3.0f);
  p->SetRadius(4.0f);
  p->SetRGBA(1, 2, 3, 4);
  pt->AddPointElement(p);
  add("POINT with names one short of their fields", pt);

  igtl::TrajectoryMessage::Pointer tr = igtl::TrajectoryMessage::New();
  igtl::TrajectoryElement::Pointer t = igtl::TrajectoryElement::New();
  t->SetName("Needle");
  t->SetType(igtl::TrajectoryElement::TYPE_ENTRY_TARGET);
  t->SetEntryPosition(1.0f, 2.0f, 3.0f);
  t->SetTargetPosition(4.0f, 5.0f, 6.0f);
  tr->AddTrajectoryElement(t);
  add("TRAJ with one trajectory", tr);

  igtl::ImageMetaMessage::Pointer im = igtl::ImageMetaMessage::New();
  igtl::ImageMetaElement::Pointer ie = igtl::ImageMetaElement::New();
  ie->SetName(std::string(63, 'n').c_str());
  ie->SetDeviceName(std::string(20, 'd').c_str());
  ie->SetModality("CT");
  ie->SetSize(256, 256, 1);
  ie->SetScalarType(igtl::ImageMessage::TYPE_INT16);
  im->AddImageMetaElement(ie);
  add("IMGMETA with long names", im);

  igtl::LabelMetaMessage::Pointer lm = igtl::LabelMetaMessage::New();
  igtl::LabelMetaElement::Pointer le = igtl::LabelMetaElement::New();
  le->SetName("Liver");
  le->SetDeviceName("LabelMap");
  le->SetLabel(7);
  le->SetRGBA(255, 0, 0, 128);
  le->SetSize(10, 20, 30);
  lm->AddLabelMetaElement(le);
  add("LBMETA with one label", lm);
}

static void arrays() {
  igtl::SensorMessage::Pointer s = igtl::SensorMessage::New();
  s->SetLength(0);
  add("SENSOR with no value", s);

  s = igtl::SensorMessage::New();
  s->SetLength(255);
  std::vector<igtlFloat64> values(255);
  for (unsigned int i = 0; i < 255; i++) values[i] = i * 0.25;
  s->SetValue(values.data());
  add("SENSOR with 255 values", s);

  igtl::NDArrayMessage::Pointer n = igtl::NDArrayMessage::New();
  // The message owns (and deletes) the array it is given.
  igtl::Array<igtlUint8>* a = new igtl::Array<igtlUint8>;
  igtl::ArrayBase::IndexType size(1);
  size[0] = 1;
  a->SetSize(size);
  n->SetArray(igtl::NDArrayMessage::TYPE_UINT8, a);
  add("NDARRAY of one uint8", n);

  n = igtl::NDArrayMessage::New();
  igtl::Array<igtlFloat64>* b = new igtl::Array<igtlFloat64>;
  igtl::ArrayBase::IndexType size2(2);
  size2[0] = 3;
  size2[1] = 1;
  b->SetSize(size2);
  n->SetArray(igtl::NDArrayMessage::TYPE_FLOAT64, b);
  add("NDARRAY of 3x1 float64", n);

  igtl::ImageMessage::Pointer im = igtl::ImageMessage::New();
  im->SetDimensions(4, 3, 2);
  im->SetSubVolume(2, 2, 1, 1, 1, 1);
  im->SetScalarTypeToInt16();
  im->SetNumComponents(3);
  im->AllocateScalars();
  memset(im->GetScalarPointer(), 0x11, im->GetSubVolumeImageSize());
  add("IMAGE sub-volume at an offset, 3 components of int16", im);

  igtl::ImageMessage::Pointer one = igtl::ImageMessage::New();
  one->SetDimensions(1, 1, 1);
  one->SetScalarTypeToUint8();
  one->AllocateScalars();
  memset(one->GetScalarPointer(), 0x7f, 1);
  add("IMAGE of one voxel", one);
}

static void binds() {
  // A BIND whose second child (a STRING of 3 bytes: 7-byte content) is odd-sized, so padded.
  igtl::TransformMessage::Pointer tf = igtl::TransformMessage::New();
  tf->SetDeviceName("NeedleToRef");
  tf->Pack();
  igtl::StringMessage::Pointer st = igtl::StringMessage::New();
  st->SetDeviceName("Note");
  st->SetString("odd");
  st->Pack();
  igtl::StatusMessage::Pointer ss = igtl::StatusMessage::New();
  ss->SetDeviceName("State");
  ss->SetCode(1);
  ss->SetStatusString("ok");
  ss->Pack();
  igtl::BindMessage::Pointer bind = igtl::BindMessage::New();
  bind->AppendChildMessage(tf);
  bind->AppendChildMessage(st);
  bind->AppendChildMessage(ss);
  add("BIND with an odd-size child", bind);
}

// Last: C++ 1.11 packs the 12- and 24-byte POSITION forms by swapping the bytes of all 28 (a
// write past its buffer, found by valgrind), which corrupts the heap. The frames are copied out
// before that matters; main() ends with _exit so that no destructor runs on the corrupt heap.
static void positions() {
  const int forms[3] = {igtl::PositionMessage::POSITION_ONLY, igtl::PositionMessage::WITH_QUATERNION3, igtl::PositionMessage::ALL};
  const char* names[3] = {"POSITION position only", "POSITION with 3 quaternion numbers", "POSITION with 4 quaternion numbers"};
  for (int i = 0; i < 3; i++) {
    igtl::PositionMessage::Pointer p = igtl::PositionMessage::New();
    p->SetPackType(forms[i]);
    p->SetPosition(1.0f, 2.0f, 3.0f);
    p->SetQuaternion(0.0f, 0.6f, 0.0f, 0.8f);
    add(names[i], p);
  }
}

int main(int argc, char** argv) {
  if (argc != 2 || (strcmp(argv[1], "names") != 0 && strcmp(argv[1], "frames") != 0)) {
    fprintf(stderr, "usage: igtl_encode_probe names|frames\n");
    return 2;
  }
  polydatas();
  texts();
  lists();
  arrays();
  binds();
  positions();
  for (const Frame& f : frames) {
    if (argv[1][0] == 'n') {
      printf("%s\n", f.name.c_str());
    } else {
      unsigned char len[4] = {(unsigned char)(f.bytes.size() >> 24), (unsigned char)(f.bytes.size() >> 16), (unsigned char)(f.bytes.size() >> 8), (unsigned char)f.bytes.size()};
      fwrite(len, 1, 4, stdout);
      fwrite(f.bytes.data(), 1, f.bytes.size(), stdout);
    }
  }
  fflush(stdout);
  _exit(0);
}
