#include <lockstep/sim/cli.hpp>

int main(int argc, char** argv) { return lockstep::sim::cli_main(argc, argv); }
