// The identity a catalog stores for its model (see Catalog::bind_model): a name for messages, a
// fingerprint that changes when anything in the model's files that shapes an embedding changes,
// and the precision it runs at (kept apart from the fingerprint so a message can name both
// precisions of one model).
//
// The fingerprint is SHA-256 over: the model's config file, the preprocessing config file
// (preprocessor_config.json or open_clip_config.json), the embedding size, and for each weights
// file its size, its safetensors header and 16 blocks of 4 KiB spread evenly over its data (so a
// fine-tuned copy with the same shapes differs, without reading gigabytes at every start). File
// names and modification times are left out: the same model in another folder, downloaded again
// or copied, has the same fingerprint.
#pragma once

#include <string>

#include "clipsearch/image.h"
#include "clipsearch/model.h"
#include "clipsearch/status.h"
#include "index/catalog.h"

namespace clipsearch {

// `name` is what the user gave (--model NAME or folder); the model folder is info().path.
Result<ModelIdentity> model_identity(const Model& model, const std::string& name,
                                     const DecodeOptions& decode);

// The decoding options that change pixels, as stored in the catalog ("decode=exact exif=apply
// sixteen_bit=scale alpha=drop").
std::string pipeline_description(const DecodeOptions& decode);

}  // namespace clipsearch
