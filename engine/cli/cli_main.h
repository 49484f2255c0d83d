/** @brief The pie subcommands, each `int pie_cli_NAME(int argc, char **argv)` returning an exit
 * code. */
#ifndef PIE_CLI_MAIN_H
#define PIE_CLI_MAIN_H

int pie_cli_mc(int argc, char **argv);
int pie_cli_digits(int argc, char **argv);
int pie_cli_hex(int argc, char **argv);
int pie_cli_bench(int argc, char **argv);
int pie_cli_cpu_info(int argc, char **argv);
int pie_cli_selftest(int argc, char **argv);

#endif
