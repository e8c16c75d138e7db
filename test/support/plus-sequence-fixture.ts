// A tracked-ultrasound .igs.mha as IGSIO writes one (vtkIGSIOMetaImageSequenceIO.cxx
// AppendImagesToHeader: every frame field, then ImageStatus OK / INVALID; an invalid frame's pixels
// are a blank frame, WriteCompressedImagePixelsToFile), with frames whose image is INVALID (the
// first and a middle one), PLUS's extra frame fields (FrameNumber, UnfilteredTimestamp) and a tool
// whose status is MISSING: 4 frames of 3 x 2 uint8, a valid frame i filled with 10 + i.
import { writeFileSync } from 'node:fs';

const matrix = (x: number) => `1 0 0 ${x} 0 1 0 0 0 0 1 0 0 0 0 1`;
export const IMAGE_STATUS = ['INVALID', 'OK', 'INVALID', 'OK'];

/** Writes the file and returns its path. */
export function invalidFramesSequence(file: string): string {
  const lines = ['ObjectType = Image', 'NDims = 3', 'BinaryData = True', 'BinaryDataByteOrderMSB = False', 'CompressedData = False',
    'DimSize = 3 2 4', 'Kinds = domain domain list', 'ElementType = MET_UCHAR', 'UltrasoundImageOrientation = MF', 'UltrasoundImageType = BRIGHTNESS'];
  IMAGE_STATUS.forEach((status, i) => {
    const p = `Seq_Frame${String(i).padStart(4, '0')}_`;
    lines.push(
      `${p}FrameNumber = ${100 + i}`, `${p}ImageToReferenceTransform = ${matrix(0)}`, `${p}ImageToReferenceTransformStatus = OK`,
      `${p}ProbeToTrackerTransform = ${matrix(i + 1)}`, `${p}ProbeToTrackerTransformStatus = OK`,
      `${p}StylusToTrackerTransform = ${matrix(0)}`, `${p}StylusToTrackerTransformStatus = ${i === 3 ? 'MISSING' : 'OK'}`,
      `${p}Timestamp = ${5 + i / 10}`, `${p}UnfilteredTimestamp = ${7 + i / 10}`, `${p}ImageStatus = ${status}`,
    );
  });
  lines.push('ElementDataFile = LOCAL', '');
  const pixels = Buffer.concat(IMAGE_STATUS.map((s, i) => Buffer.alloc(6, s === 'OK' ? 10 + i : 0)));
  writeFileSync(file, Buffer.concat([Buffer.from(lines.join('\n'), 'latin1'), pixels]));
  return file;
}
