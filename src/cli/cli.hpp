// The command line of the one binary (design section 4, decisions B.17): `portcullis <command>`.
#pragma once

namespace portcullis::cli {

// Parses argv, runs the chosen command and returns the process exit code.
int run(int argc, char** argv);

}  // namespace portcullis::cli
