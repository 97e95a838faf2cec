// Portcullis: the one binary. Every command lives in src/cli/commands/, the service graph of
// `serve` in src/app/ (design section 4); this file only hands over to the command line.
#include "cli/cli.hpp"

int main(int argc, char** argv) {
    return portcullis::cli::run(argc, argv);
}
