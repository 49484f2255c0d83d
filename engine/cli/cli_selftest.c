/** @brief stub */
#include "cli_main.h"
int pie_cli_selftest(int argc, char **argv){(void)argc;(void)argv;return 0;}
