// The files of an open_clip repository (hub/layout.h): open_clip_config.json and
// open_clip_model.safetensors, and a tokenizer. Such a repository seldom has one: open_clip
// bundles CLIP's BPE vocabulary, so the same vocabulary, published as vocab.json + merges.txt by
// openai/clip-vit-base-patch32 (kClipTokenizerRepo), is fetched through the same cache and put
// into the open_clip snapshot as files of its own (hub/cache.h adopt_file). The snapshot folder
// is then a complete model folder: Model::load, Tokenizer::load and the preprocessing read it
// with no other argument, online, offline, and after either repository is deleted.
// A configuration whose text tower comes from Hugging Face (model_cfg.text_cfg.hf_tokenizer_name
// and hf_model_name, as open_clip's xlm-roberta CLIPs) borrows the same way from those
// repositories: tokenizer.json (+ tokenizer_config.json, special_tokens_map.json) and config.json,
// the latter stored as hf_text_config.json. Weights: open_clip_model.safetensors, else
// open_clip_pytorch_model.bin.
#pragma once

#include <string>

#include "clipsearch/hub.h"

namespace clipsearch::hub {

// Fetches the open_clip files of `repo` at `commit` (resolved from `revision`, which messages
// name) and makes sure its snapshot has a tokenizer (vocab.json and merges.txt, or the
// tokenizer.json and hf_text_config.json its configuration names). `has_config_json`: the
// repository has a config.json that is not a CLIP configuration (timm's), for the message when
// open_clip_config.json is missing too. Returns the snapshot folder.
Result<std::string> fetch_open_clip(const HubOptions& options, const std::string& repo,
                                    const std::string& revision, const std::string& commit,
                                    bool has_config_json, ProgressSink* progress);

}  // namespace clipsearch::hub
