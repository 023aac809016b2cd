/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The verbs, one file each, dispatched from main.c. */
#ifndef IPT_CLI_H
#define IPT_CLI_H

#define IPT_VERSION "0.1.0"

int cmd_probe(int argc, char **argv);
int cmd_record(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_timeline(int argc, char **argv);
int cmd_watch(int argc, char **argv);

#endif
