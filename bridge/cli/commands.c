/* The subcommands for people: login, logout, status, token, doctor, export,
 * import, key, one file each (cmd.h). Each runs its own short loop and says what it
 * did in sentences; none of them prints a secret except `token` (on stdout,
 * after a warning) and `export` (likewise). */
#include "bridge/cli/commands.h"
#include "bridge/cli/cmd.h"

int commands_run(const bridge_options_t *o)
{
    switch (o->command) {
    case COMMAND_LOGIN:
        return cmd_login(o);
    case COMMAND_LOGOUT:
        return cmd_logout(o);
    case COMMAND_STATUS:
        return cmd_status(o);
    case COMMAND_TOKEN:
        return cmd_token(o);
    case COMMAND_DOCTOR:
        return doctor_run(o);
    case COMMAND_EXPORT:
        return cmd_export(o);
    case COMMAND_IMPORT:
        return cmd_import(o);
    case COMMAND_KEY:
        return cmd_key(o);
    default:
        return 2;
    }
}
