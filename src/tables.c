/*-------------------------------------------------------------------------
 *
 * tables.c
 *	  Finding the extension's tables in schema auth, safely.
 *
 * Queries run as the tables' owner (SECURITY DEFINER functions, the key
 * cache) name their tables "auth.users" and "auth.keys".  That is only safe
 * while nobody but that owner can rename, replace or add objects in schema
 * auth: the install script gives the schema to the tables' owner, and
 * before every such query the code checks that the schema and the table
 * still have the same owner.  A schema swapped or renamed by anyone else
 * makes jwt_auth refuse to run instead of querying the impostor.
 *
 * src/tables.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_namespace.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

#include "tables.h"

/*
 * The OID of auth.<relname>; its owner in *owner.  Errors if it does not
 * exist or if schema auth has another owner than the table.
 */
Oid
auth_table(const char *relname, Oid *owner)
{
	Oid			nsp = get_namespace_oid("auth", true);
	Oid			relid = OidIsValid(nsp) ? get_relname_relid(relname, nsp) : InvalidOid;
	HeapTuple	tup;
	Oid			nspowner;

	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation \"auth.%s\" does not exist", relname),
				 errhint("Run CREATE EXTENSION jwt_auth.")));

	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for relation %u", relid);
	*owner = ((Form_pg_class) GETSTRUCT(tup))->relowner;
	ReleaseSysCache(tup);

	tup = SearchSysCache1(NAMESPACEOID, ObjectIdGetDatum(nsp));
	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for namespace %u", nsp);
	nspowner = ((Form_pg_namespace) GETSTRUCT(tup))->nspowner;
	ReleaseSysCache(tup);

	if (nspowner != *owner)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("schema \"auth\" is not owned by the owner of \"auth.%s\"", relname),
				 errdetail("jwt_auth runs its queries as the owner of its tables and refuses to do so "
						   "while another role controls the schema they are found in."),
				 errhint("Give schema auth back to the owner of the extension's tables.")));
	return relid;
}

/* True if auth.<relname> exists (tables added by an update may not yet). */
bool
auth_table_exists(const char *relname)
{
	Oid			nsp = get_namespace_oid("auth", true);

	return OidIsValid(nsp) && OidIsValid(get_relname_relid(relname, nsp));
}

/* Refuse to go on while the tables of version 1.1 are missing. */
void
require_sessions(void)
{
	if (!auth_table_exists("sessions"))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("extension \"jwt_auth\" must be updated"),
				 errdetail("This function needs auth.sessions, which version 1.1 adds."),
				 errhint("Run ALTER EXTENSION jwt_auth UPDATE.")));
}
