/** Size of the fixed OpenIGTLink header (OpenIGTLink Documents/Protocol/header.md, Header Fields). */
export const HEADER_SIZE = 58;
/** Size of the extended header written by every v3 sender (OpenIGTLink Documents/Protocol/header.md, Extended Header Fields). */
export const EXTENDED_HEADER_SIZE = 12;
/**
 * Default limit on BODY_SIZE: larger messages are refused from their header, before anything is
 * allocated. 256 MiB of payload (e.g. a 512 x 512 x 512 uint16 volume in one IMAGE) plus 64 KiB
 * for what comes with it in the body: the content header (IMAGE: 72 bytes), the v3 extended
 * header (12) and the metadata (OpenIGTLink Documents/Protocol/header.md, Extended Header
 * Fields), which real senders keep to a few hundred bytes. (BODY_SIZE does not count the 58-byte
 * header.)
 */
export const DEFAULT_MAX_BODY_SIZE = 256 * 1024 * 1024 + 64 * 1024;
/**
 * Largest `maxBodySize` a decoder accepts: 2^32 - 1 - 58, so that a whole message (58-byte header
 * plus body) always fits one typed array on every platform (Node's limit is 2^32 - 1 elements on
 * 32-bit builds and was so on 64-bit builds before Node 22).
 */
export const MAX_BODY_SIZE_LIMIT = 0xffffffff - HEADER_SIZE;
/** Length of the TYPE header field. */
export const TYPE_NAME_SIZE = 12;
/** Length of the DEVICE_NAME header field. */
export const DEVICE_NAME_SIZE = 20;
/** Conventional OpenIGTLink TCP port. */
export const DEFAULT_PORT = 18944;

// Header field offsets (OpenIGTLink Documents/Protocol/header.md, Header Fields).
export const OFFSET_VERSION = 0;
export const OFFSET_TYPE = 2;
export const OFFSET_DEVICE_NAME = 14;
export const OFFSET_TIMESTAMP = 34;
export const OFFSET_BODY_SIZE = 42;
export const OFFSET_CRC = 50;
