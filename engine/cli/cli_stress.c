/** @brief stub */
#include "cli_main.h"
