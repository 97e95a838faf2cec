// Build metadata stamped at build time (contract section 14), served by GET /version.
#pragma once

namespace portcullis::build_info {
extern const char* const kVersion;    // from the project version, "1.0.0"
extern const char* const kGitSha;     // short SHA, or "unknown" without git
extern const char* const kBuildTime;  // ISO-8601 UTC
}  // namespace portcullis::build_info
