// What Pillow shows where the first frame of a GIF is transparent or does not cover the
// canvas. libvips (libnsgif) leaves those pixels transparent black; Pillow 9.4 opens the frame
// in palette mode on a canvas filled with the transparency index (or index 0 without one), and
// convert("RGB") then shows that index's palette colour. The first frame's palette (local, else
// global) and Graphic Control Extension are read from the file here.
#pragma once

#include <cstddef>
#include <cstdint>

namespace clipsearch {

struct GifFirstFrame {
  int left = 0, top = 0, width = 0, height = 0;  // the frame's rectangle on the canvas
  uint8_t fill[3] = {0, 0, 0};  // the colour Pillow shows where the frame is transparent or absent
};

// Reads the first frame's rectangle and fill colour; false for a file too malformed to tell
// (the decoder then reports its own error or keeps libvips' black).
bool gif_first_frame(const uint8_t* data, size_t size, GifFirstFrame* frame);

}  // namespace clipsearch
