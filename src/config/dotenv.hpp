// `.env` file parsing with the rules of the `dotenv` package the reference used, so existing env
// files read the same.
#pragma once

#include <map>
#include <string>
#include <string_view>

namespace portcullis::config {

// KEY=VALUE lines; `#` comment lines and trailing comments; an optional `export ` prefix; values in
// single, double or back quotes (may span lines; in double quotes `\n` and `\r` become line
// breaks); unquoted values end at `#` and are trimmed. Malformed lines are skipped; a later key
// wins.
std::map<std::string, std::string> parse_dotenv(std::string_view text);

}  // namespace portcullis::config
