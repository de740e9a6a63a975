/*
 * cmd_mail.h - `onepass mail list|show`: the outbox seen from the shell.
 */
#ifndef CMD_MAIL_H
#define CMD_MAIL_H

#include "core/onepass.h"

/*
 * argv[0] is "mail"; op->store is open. `mail list [--pending|--failed|
 * --sent]` prints one line a message: ID, status, creation time (UTC,
 * ISO 8601), recipient, subject, separated by two spaces. `mail show ID`
 * prints the message as it is (or was) sent. Returns the exit status:
 * 0, 1 on an unknown ID or a store failure, 2 on a usage error.
 */
int cmd_mail(struct onepass *op, int argc, char **argv);

#endif
