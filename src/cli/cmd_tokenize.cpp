// `clipsearch tokenize --model DIR TEXT...`: prints the token ids of each text as JSON Lines.
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/cli_util.h"
#include "cli/commands.h"
#include "clipsearch/tokenizer.h"

namespace clipsearch::cli {
namespace {

struct TokenizeArgs {
  std::string model;
  std::vector<std::string> texts;
  std::string flavor = "auto";
  int context_length = 0;
};

int run_tokenize(const TokenizeArgs& args) {
  TokenizerOptions options;
  options.context_length = args.context_length;
  if (args.flavor == "transformers") options.flavor = TokenizerFlavor::kTransformers;
  if (args.flavor == "open_clip") options.flavor = TokenizerFlavor::kOpenClip;
  if (args.flavor == "unigram") options.flavor = TokenizerFlavor::kUnigram;
  if (args.flavor == "gemma") options.flavor = TokenizerFlavor::kGemma;
  if (args.flavor == "wordpiece") options.flavor = TokenizerFlavor::kWordPiece;
  if (args.flavor == "siglip") options.flavor = TokenizerFlavor::kSiglip;
  auto tokenizer = Tokenizer::load(args.model, options);
  if (!tokenizer.ok()) return report_error(tokenizer.status());
  for (size_t i = 0; i < args.texts.size(); ++i) {
    Encoding enc = tokenizer->encode(args.texts[i]);
    if (!enc.warning.empty()) {
      std::cerr << "clipsearch: warning: text " << i + 1 << ": " << enc.warning << "\n";
    }
    nlohmann::ordered_json line;
    line["text"] = args.texts[i];
    line["ids"] = enc.ids;
    // Invalid UTF-8 in the echoed text is written as U+FFFD, as the tokenizer read it.
    std::cout << line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  }
  std::cout.flush();
  return std::cout.good() ? 0 : report_error(Status::error("stdout: write error"));
}

}  // namespace

void add_tokenize_command(CLI::App& app, int* exit_code) {
  auto args = std::make_shared<TokenizeArgs>();
  CLI::App* cmd = app.add_subcommand(
      "tokenize", "Print the token ids of each TEXT as JSON Lines {\"text\", \"ids\"}");
  add_model_option(cmd, &args->model,
                   "vocab.json + merges.txt, bpe_simple_vocab_16e6.txt.gz, vocab.txt (WordPiece) "
                   "a Unigram or BPE (Gemma) tokenizer.json, or a SigLIP spiece.model folder");
  cmd->add_option("--flavor", args->flavor,
                  "Reference to reproduce: auto (by the model folder), transformers "
                  "(CLIPTokenizerFast), open_clip (SimpleTokenizer, with its text cleaning), "
                  "wordpiece (BertTokenizerFast, Chinese-CLIP), unigram "
                  "(XLMRobertaTokenizerFast from tokenizer.json), gemma (GemmaTokenizerFast "
                  "from tokenizer.json, SigLIP 2) or siglip (SiglipTokenizer, spiece.model; "
                  "padded to the context length)")
      ->check(CLI::IsMember(
          {"auto", "transformers", "open_clip", "wordpiece", "unigram", "gemma", "siglip"}));
  cmd->add_option("--context-length", args->context_length,
                  "Maximum ids per text, start and end included (default: the model's, else 77)")
      ->check(CLI::Range(2, 1 << 20));
  cmd->add_option("texts", args->texts, "Texts to tokenize")->required();
  cmd->callback([args, exit_code] {
    Status st = resolve_model_arg(&args->model);
    *exit_code = st.ok() ? run_tokenize(*args) : report_error(st);
  });
}

}  // namespace clipsearch::cli
