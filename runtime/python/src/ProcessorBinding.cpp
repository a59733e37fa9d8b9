// _vlmc.Processor: the model's tokenizer and chat template, for
// processor.apply_chat_template and processor.tokenizer.encode/decode.
#include "Binding.h"
#include "Objects.h"

#include <pybind11/stl.h>

#include <fstream>
#include <sstream>

namespace vlmc::python {

Result<std::shared_ptr<PyProcessor>> PyProcessor::create(const ReadFile &readFile,
                                                         const std::string &label) {
  std::optional<std::string> tokenizerJson = readFile("tokenizer.json");
  if (!tokenizerJson)
    return notFound(label + " has no tokenizer.json");
  std::optional<std::string> tokenizerConfig = readFile("tokenizer_config.json");
  Result<tokenizer::Tokenizer> tok =
      tokenizer::Tokenizer::fromJson(*tokenizerJson, tokenizerConfig.value_or(""));
  if (!tok)
    return tok.status().withContext(label);
  std::shared_ptr<PyProcessor> p(new PyProcessor());
  p->tokenizer_.emplace(std::move(*tok));
  // Found and parsed as Generator does, so apply_chat_template renders what
  // generate() feeds the model.
  Result<std::string> source = chat::findChatTemplate(readFile);
  if (source) {
    Result<chat::ChatTemplate> parsed = chat::ChatTemplate::parse(*source);
    if (!parsed)
      return parsed.status().withContext(label + ": the chat template");
    p->chatTemplate_.emplace(std::move(*parsed));
  } else if (source.status().code() != StatusCode::kNotFound) {
    return source.status().withContext(label);
  }
  return p;
}

namespace {

std::shared_ptr<PyProcessor> fromDirectory(const std::string &dir) {
  Result<std::shared_ptr<PyProcessor>> p = internalError("unreachable");
  {
    py::gil_scoped_release release;
    p = PyProcessor::create(
        [&dir](std::string_view name) -> std::optional<std::string> {
          std::ifstream in(dir + "/" + std::string(name), std::ios::binary);
          if (!in)
            return std::nullopt;
          std::ostringstream s;
          s << in.rdbuf();
          return s.str();
        },
        dir);
  }
  return unwrap(std::move(p));
}

std::optional<std::string> tokenText(const tokenizer::Tokenizer &tok,
                                     std::optional<tokenizer::TokenId> id) {
  return id ? tok.idToToken(*id) : std::nullopt;
}

} // namespace

void registerProcessor(py::module_ &m) {
  py::class_<PyProcessor, std::shared_ptr<PyProcessor>>(
      m, "Processor", "A model's tokenizer and chat template (use vlmc.load)")
      .def_static("from_directory", &fromDirectory, py::arg("path"),
                  "From a checkpoint directory's tokenizer.json, tokenizer_config.json and "
                  "chat template files (nothing is compiled).")
      .def(
          "encode",
          [](const PyProcessor &p, const std::string &text, bool addSpecialTokens) {
            Result<std::vector<tokenizer::TokenId>> ids = internalError("unreachable");
            {
              py::gil_scoped_release release;
              ids = p.tokenizer().encode(text, addSpecialTokens);
            }
            return unwrap(std::move(ids));
          },
          py::arg("text"), py::arg("add_special_tokens") = true)
      .def(
          "decode",
          [](const PyProcessor &p, const std::vector<tokenizer::TokenId> &ids,
             bool skipSpecialTokens) {
            Result<std::string> text = internalError("unreachable");
            {
              py::gil_scoped_release release;
              text = p.tokenizer().decode(ids, skipSpecialTokens);
            }
            return toPyStr(unwrap(std::move(text)));
          },
          py::arg("ids"), py::arg("skip_special_tokens") = false)
      .def(
          "id_to_token",
          [](const PyProcessor &p, tokenizer::TokenId id) { return p.tokenizer().idToToken(id); },
          py::arg("id"))
      .def(
          "token_to_id",
          [](const PyProcessor &p, const std::string &token) {
            return p.tokenizer().tokenToId(token);
          },
          py::arg("token"))
      .def_property_readonly("vocab_size",
                             [](const PyProcessor &p) { return p.tokenizer().vocabSize(); })
      .def_property_readonly(
          "special_tokens",
          [](const PyProcessor &p) {
            // transformers' special_tokens_map subset the runtime knows:
            // names -> (token text, id); absent entries are left out.
            const tokenizer::Tokenizer &tok = p.tokenizer();
            const tokenizer::SpecialTokens &s = tok.specialTokens();
            py::dict out;
            auto put = [&](const char *name, std::optional<tokenizer::TokenId> id) {
              if (std::optional<std::string> text = tokenText(tok, id))
                out[name] = py::make_tuple(*text, *id);
            };
            put("bos_token", s.bos);
            put("eos_token", s.eos);
            put("unk_token", s.unk);
            put("pad_token", s.pad);
            return out;
          },
          "{'bos_token': (text, id), 'eos_token': ...} for the special tokens that exist")
      .def_property_readonly(
          "added_tokens",
          [](const PyProcessor &p) {
            py::list out;
            for (const tokenizer::AddedToken &t : p.tokenizer().addedTokens())
              out.append(py::make_tuple(t.id, t.content, t.special));
            return out;
          },
          "[(id, content, special), ...] from tokenizer.json's added_tokens")
      .def_property_readonly("has_chat_template",
                             [](const PyProcessor &p) { return p.chatTemplate().has_value(); })
      .def_property_readonly("chat_template",
                             [](const PyProcessor &p) -> std::optional<std::string> {
                               if (!p.chatTemplate())
                                 return std::nullopt;
                               return p.chatTemplate()->source();
                             })
      .def(
          "render_chat_template",
          [](const PyProcessor &p, const std::string &contextJson) {
            if (!p.chatTemplate())
              throw py::value_error(
                  "this model has no chat template (no chat_template.jinja, "
                  "chat_template.json or tokenizer_config.json chat_template)");
            Result<std::string> text = internalError("unreachable");
            {
              py::gil_scoped_release release;
              Result<chat::Value> context = chat::valueFromJson(contextJson);
              text = context ? p.chatTemplate()->render(*context)
                             : Result<std::string>(context.status());
            }
            return toPyStr(unwrap(std::move(text)));
          },
          py::arg("context_json"),
          "Renders the chat template with a context given as a JSON object (messages, "
          "add_generation_prompt, special tokens, ...), as transformers' jinja render.");
}

} // namespace vlmc::python
