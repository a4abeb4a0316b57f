// The files of a CLIP model in the two layouts the hub publishes it in, and when a cached
// snapshot holds a usable model:
//  - Hugging Face CLIPModel, ChineseCLIPModel or SiglipModel: config.json (a CLIP configuration) +
//    model.safetensors (or pytorch_model.bin, or the shards of either with an index), the
//    tokenizer beside them.
//  - open_clip: open_clip_config.json + open_clip_model.safetensors, and no tokenizer: open_clip
//    bundles CLIP's BPE vocabulary, which openai/clip-vit-base-patch32 publishes as vocab.json +
//    merges.txt. timm's repositories (timm/resnet50_clip.openai, ...) also carry a config.json
//    and a model.safetensors of their own: a timm configuration and the image tower alone.
//    A text tower from Hugging Face (open_clip's xlm-roberta CLIPs: model_cfg.text_cfg names
//    hf_tokenizer_name and hf_model_name) gets its tokenizer.json from the hf_tokenizer_name
//    repository and its architecture, as hf_text_config.json, from the hf_model_name one.
// A repository with both (laion/CLIP-ViT-*) is read as a Hugging Face CLIPModel.
#pragma once

#include <string>

#include "clipsearch/status.h"

namespace clipsearch::hub {

// ref: transformers CLIPModel/CLIPProcessor.from_pretrained: the configuration, the image
// processor and the tokenizer files (the optional ones may be missing): CLIP's BPE (vocab.json,
// merges.txt) or Chinese-CLIP's WordPiece (vocab.txt).
constexpr const char* kHfConfig = "config.json";
constexpr const char* kHfOptionalFiles[] = {
    "preprocessor_config.json", "vocab.json", "merges.txt", "vocab.txt", "tokenizer_config.json",
    "special_tokens_map.json"};
// ref: SiglipTokenizer (spiece.model) and the SigLIP 2 checkpoints' GemmaTokenizerFast
// (tokenizer.json): fetched for a SigLIP config.json only (a CLIP repository's tokenizer.json
// would be a second copy of vocab.json + merges.txt).
constexpr const char* kSiglipTokenizerFiles[] = {"spiece.model", "tokenizer.json"};
// ref: transformers modeling_utils: safetensors first, then the PyTorch checkpoint; a sharded
// checkpoint has an index instead.
constexpr const char* kHfWeightFiles[] = {"model.safetensors", "model.safetensors.index.json",
                                          "pytorch_model.bin", "pytorch_model.bin.index.json"};

// ref: open_clip push_to_hf_hub: HF_CONFIG_NAME, HF_SAFE_WEIGHTS_NAME, HF_WEIGHTS_NAME.
constexpr const char* kOpenClipConfig = "open_clip_config.json";
constexpr const char* kOpenClipWeights = "open_clip_model.safetensors";
constexpr const char* kOpenClipPickle = "open_clip_pytorch_model.bin";  // when no safetensors

// Where an open_clip repository without a tokenizer gets one: the same BPE as open_clip's
// bpe_simple_vocab_16e6.txt.gz, in the Hugging Face files Tokenizer::load reads.
constexpr const char* kClipTokenizerRepo = "openai/clip-vit-base-patch32";
constexpr const char* kTokenizerFiles[] = {"vocab.json", "merges.txt"};
constexpr const char* kTokenizerOptionalFiles[] = {"tokenizer_config.json",
                                                   "special_tokens_map.json"};

// ref: open_clip HFTokenizer / HFTextEncoder: AutoTokenizer.from_pretrained(hf_tokenizer_name),
// AutoConfig.from_pretrained(hf_model_name). The tokenizer files of the hf_tokenizer_name
// repository (tokenizer.json required) and the config.json of the hf_model_name one, stored in
// the open_clip snapshot as kHfTextConfig.
constexpr const char* kHfTokenizerJson = "tokenizer.json";
constexpr const char* kHfTextConfig = "hf_text_config.json";

// The Hugging Face repositories an open_clip configuration's text tower names (empty when it
// names none): model_cfg.text_cfg.hf_tokenizer_name and hf_model_name.
struct OpenClipHfNames {
  std::string tokenizer, model;
};
// Reads them from open_clip_config.json at `path`; an error names the file and the key (not
// JSON, or a name that is not a string).
Result<OpenClipHfNames> read_open_clip_hf_names(const std::string& path);

// Whether `path` is a CLIP config.json: a JSON object with model_type "clip", "chinese_clip" or
// "siglip", text_config or vision_config (the test src/model's loader applies; a timm
// config.json is not one).
bool is_clip_config(const std::string& path);
// Whether `path` is a SigLIP config.json (model_type "siglip").
bool is_siglip_config(const std::string& path);

// Whether a snapshot folder holds a model in either layout: a CLIP config.json and its weights,
// or open_clip_config.json and open_clip_model.safetensors (or open_clip_pytorch_model.bin), with
// tokenizer.json and hf_text_config.json when the configuration names Hugging Face repositories
// for them.
bool snapshot_complete(const std::string& snapshot);

}  // namespace clipsearch::hub
