/* commands.h -- the subcommands main.c dispatches to. Each takes the
 * arguments after its name (argv[0] is the command name) and returns the
 * process exit status. */
#ifndef RC_COMMANDS_H
#define RC_COMMANDS_H

int main_count(int argc, char **argv);
int main_job(int argc, char **argv);
int main_plan(int argc, char **argv);

#endif
