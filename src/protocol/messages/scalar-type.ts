// Codes shared by the image-like messages: scalar types (IMAGE, IMGMETA, VIDEOMETA, NDARRAY),
// byte order and coordinate system (IMAGE, VIDEO).

/** Scalar type codes shared by IMAGE, IMGMETA, VIDEOMETA and NDARRAY (OpenIGTLink Documents/Protocol/image.md). */
export const ScalarType = {
  INT8: 2,
  UINT8: 3,
  INT16: 4,
  UINT16: 5,
  INT32: 6,
  UINT32: 7,
  FLOAT32: 10,
  FLOAT64: 11,
  /** Two float64 (real, imaginary); NDARRAY only. */
  COMPLEX: 13,
} as const;
/** One of the {@link ScalarType} codes. */
export type ScalarTypeCode = (typeof ScalarType)[keyof typeof ScalarType];

/** Bytes per scalar for each scalar type code (undefined for unknown codes). */
export function scalarSize(code: number): number | undefined {
  switch (code) {
    case 2: case 3: return 1;
    case 4: case 5: return 2;
    case 6: case 7: case 10: return 4;
    case 11: return 8;
    case 13: return 16;
    default: return undefined;
  }
}

/** Byte order codes of IMAGE and VIDEO pixel data. */
export const Endian = { BIG: 1, LITTLE: 2 } as const;
/** Coordinate system codes of IMAGE and VIDEO. */
export const Coordinate = { RAS: 1, LPS: 2 } as const;
