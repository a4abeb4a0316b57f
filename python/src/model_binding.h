// clipsearch.Model: a model with its tokenizer and image preprocessing, as the command-line tool
// loads them (presets, hub repositories and folders; clipsearch/hub.h).
#pragma once

#include <nanobind/nanobind.h>

#include <string>

#include "clipsearch/image.h"
#include "clipsearch/model.h"

namespace clipsearch::python {

// "f32", "bf16", "f16", "int8" (QueryError for another name); "auto", "cpu", "cuda[:N]"
// (ModelError, unsupported, for another name; Model::load says why a device cannot run the
// model).
Precision precision_from_name(const std::string& name);
Device device_from_name(const std::string& name);
// "apply" / "ignore" (ExifMode), "exact" / "fast" (DecodeMode): QueryError for anything else.
DecodeOptions decode_options_from(const std::string& exif, const std::string& decode);
// Writes a float32 [rows, cols] buffer's ownership into a numpy array.
nanobind::object numpy_matrix(std::vector<float>&& values, size_t rows, size_t cols);

void bind_model(nanobind::module_& m);

}  // namespace clipsearch::python
