package directory

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"image"
	_ "image/gif" // registered for image.Decode
	_ "image/jpeg"
	"image/png"
	"net/http"

	gh "gatehouse.dev/gatehouse"
	"golang.org/x/image/draw"
)

// Bounds of an uploaded picture. The size is checked before anything is
// read; the dimensions from the header, before any pixel is decoded, so a
// small file that claims a huge image (a decompression bomb) costs nothing.
const (
	MaxAvatarBytes = 2 << 20
	MaxAvatarSide  = 4096
	AvatarSide     = 256 // the side of the square PNG that is kept
)

// avatarTypes are the formats accepted, by their sniffed content type.
var avatarTypes = map[string]func([]byte) bool{
	"image/png":  pngEnds,
	"image/jpeg": jpegEnds,
	"image/gif":  gifEnds,
}

func badAvatar(code, msg string) error { return gh.Invalid(code, "avatar", msg) }

// encodeAvatar checks an uploaded picture and re-encodes it as a square
// PNG of AvatarSide pixels, which drops every chunk of metadata it carried.
// claimed is the upload's content type ("" when unknown). It refuses, as
// KindInvalid: too large a file or image, a format other than PNG, JPEG or
// GIF, content that does not sniff as what was claimed, bytes after the
// image's end (a polyglot), and a malformed image.
func encodeAvatar(raw []byte, claimed string) (png []byte, hash string, err error) {
	if len(raw) > MaxAvatarBytes {
		return nil, "", badAvatar("avatar_too_large", "is larger than 2 MiB")
	}
	sniffed := http.DetectContentType(raw)
	ends, ok := avatarTypes[sniffed]
	if !ok {
		return nil, "", badAvatar("avatar_type", "must be a PNG, JPEG or GIF image")
	}
	if claimed != "" && claimed != sniffed {
		return nil, "", badAvatar("avatar_type", "is sent as "+claimed+" but its content is "+sniffed)
	}
	if !ends(raw) {
		return nil, "", badAvatar("avatar_malformed", "is not a well-formed image, or has data after the image's end")
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(raw))
	if err != nil {
		return nil, "", badAvatar("avatar_malformed", "is not a well-formed image")
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width > MaxAvatarSide || cfg.Height > MaxAvatarSide {
		return nil, "", badAvatar("avatar_too_large", "must be at most 4096×4096 pixels")
	}
	img, _, err := image.Decode(bytes.NewReader(raw))
	if err != nil {
		return nil, "", badAvatar("avatar_malformed", "is not a well-formed image")
	}
	out, err := squarePNG(img)
	if err != nil {
		return nil, "", gh.Internal(err)
	}
	sum := sha256.Sum256(out)
	return out, hex.EncodeToString(sum[:]), nil
}

// squarePNG crops img's centre square and scales it to AvatarSide.
func squarePNG(img image.Image) ([]byte, error) {
	b := img.Bounds()
	side := min(b.Dx(), b.Dy())
	x, y := b.Min.X+(b.Dx()-side)/2, b.Min.Y+(b.Dy()-side)/2
	dst := image.NewNRGBA(image.Rect(0, 0, AvatarSide, AvatarSide))
	draw.CatmullRom.Scale(dst, dst.Bounds(), img, image.Rect(x, y, x+side, y+side), draw.Src, nil)
	var buf bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&buf, dst); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// pngEnds reports whether the chunks of a PNG end with IEND at the file's end.
func pngEnds(b []byte) bool {
	pos := 8 // the signature
	for pos+12 <= len(b) {
		n := int(binary.BigEndian.Uint32(b[pos:]))
		end := pos + 12 + n
		if n < 0 || n > len(b) || end > len(b) {
			return false
		}
		if string(b[pos+4:pos+8]) == "IEND" {
			return end == len(b)
		}
		pos = end
	}
	return false
}

// jpegEnds reports whether a JPEG's segments and entropy-coded data end with
// the EOI marker at the file's end.
func jpegEnds(b []byte) bool {
	pos := 2 // SOI
	for pos+4 <= len(b) {
		if b[pos] != 0xFF {
			return false
		}
		marker := b[pos+1]
		switch {
		case marker == 0xD9:
			return pos+2 == len(b)
		case marker == 0xFF: // fill bytes
			pos++
			continue
		case marker >= 0xD0 && marker <= 0xD7 || marker == 0x01:
			pos += 2
			continue
		}
		n := int(binary.BigEndian.Uint16(b[pos+2:]))
		pos += 2 + n
		if marker == 0xDA { // start of scan: entropy-coded data runs to the next marker
			for pos+1 < len(b) && (b[pos] != 0xFF || b[pos+1] == 0x00 || b[pos+1] >= 0xD0 && b[pos+1] <= 0xD7) {
				pos++
			}
		}
	}
	return pos+2 == len(b) && pos+1 < len(b) && b[pos] == 0xFF && b[pos+1] == 0xD9
}

// gifEnds reports whether a GIF's blocks end with its trailer at the file's end.
func gifEnds(b []byte) bool {
	if len(b) < 13 {
		return false
	}
	pos := 13
	if b[10]&0x80 != 0 {
		pos += 3 << (b[10]&7 + 1)
	}
	for pos < len(b) {
		switch b[pos] {
		case 0x3B:
			return pos+1 == len(b)
		case 0x21: // extension: label, then sub-blocks
			pos = skipSubBlocks(b, pos+2)
		case 0x2C: // image descriptor, local colour table, LZW code size, sub-blocks
			if pos+10 > len(b) {
				return false
			}
			flags := b[pos+9]
			pos += 10
			if flags&0x80 != 0 {
				pos += 3 << (flags&7 + 1)
			}
			pos = skipSubBlocks(b, pos+1)
		default:
			return false
		}
		if pos < 0 {
			return false
		}
	}
	return false
}

// skipSubBlocks returns the position after the sub-blocks starting at pos, or -1.
func skipSubBlocks(b []byte, pos int) int {
	for pos < len(b) {
		n := int(b[pos])
		pos++
		if n == 0 {
			return pos
		}
		pos += n
	}
	return -1
}
