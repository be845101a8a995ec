/*-------------------------------------------------------------------------
 *
 * config.h
 *	  Per-database configuration: auth.configure() and auth.configuration().
 *
 * src/config.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef JWT_AUTH_CONFIG_H
#define JWT_AUTH_CONFIG_H

#include "guc.h"

extern const Settings *jwt_auth_config_get(void);
extern void jwt_auth_config_invalidate(Oid relid);

#endif							/* JWT_AUTH_CONFIG_H */
