/*-------------------------------------------------------------------------
 *
 * throttle.c
 *	  Throttling of failed sign-ins, per database and email.
 *
 * auth.signin() fails with an error, which rolls back the caller's
 * transaction: a failure counter kept in a table would be undone by the
 * very failure it counts.  The counters therefore live outside any
 * transaction, in a table every backend of the server maps
 * (throttle_file.c).
 *
 * An attempt is counted as a failure before the password is checked, so
 * parallel attempts cannot slip past the limit; a success then forgets it.
 * Counters are per database: the key is the SHA-256 of a random salt (made
 * with the table), the database's OID and the email as given, normalised
 * when it is a valid address, so unknown emails are throttled exactly like
 * real ones, and nobody can choose emails that land in one place of the
 * table.  After max_failed_signins failures within signin_lockout (both as
 * configured for the database), an email is locked for 30 seconds,
 * doubling with each further failure, at most signin_lockout.
 *
 * The table is set-associative: an email may use one of THROTTLE_WAYS
 * entries of its set, and an entry is reused only once it holds nothing
 * alive (its failures forgotten and its lock over).  A flood of junk emails
 * therefore never pushes out a victim's count.  One database may hold at
 * most half of each set, so that no database can crowd the others out.
 * An email whose set is full is counted in the overflow counters instead:
 * two shared counters per email, of which the smaller is at least its own
 * number of failures (a count-min sketch with conservative update).  An
 * email counted there is refused while both of its counters reach
 * max_failed_signins, until one of them has seen no failure for
 * signin_lockout (the server's, if a database chose a longer one); a
 * success cannot reset counters it shares with other emails.  So a flood
 * can make emails that were not yet failing be locked sooner and for
 * longer than the rules say, but it can never make the table forget or
 * shorten a count or a lock.
 *
 * A counter remembers the database whose failures it holds, or that it
 * holds those of several.  A new email takes a free entry of its set
 * unless both of its counters may hold failures of its own database; so a
 * flood in one database, which fills the counters with its own failures,
 * does not send the emails of another database there, and that database,
 * with half of each set its own, locks none of them for it.  Only a
 * database whose own half of a set is full counts its emails in counters
 * the others have raised.
 *
 * src/throttle.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "utils/timestamp.h"

#include <openssl/evp.h>

#include "config.h"
#include "guc.h"
#include "throttle.h"
#include "throttle_file.h"

#define THROTTLE_FIRST_LOCK	30	/* seconds */

/* This backend's mapping of the table, once it has one. */
static const ThrottleTable *table = NULL;

/* Work out where the email's counters are (before taking the lock). */
static void
locate(const char *email, size_t len, ThrottleKey *tk)
{
	unsigned char digest[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	uint32		parts[3];

	if (ctx == NULL ||
		!EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) ||
		!EVP_DigestUpdate(ctx, table->header->salt, sizeof(table->header->salt)) ||
		!EVP_DigestUpdate(ctx, &MyDatabaseId, sizeof(MyDatabaseId)) ||
		!EVP_DigestUpdate(ctx, email, len) ||
		!EVP_DigestFinal_ex(ctx, digest, &n) || n < 20)
	{
		EVP_MD_CTX_free(ctx);
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("could not hash email")));
	}
	EVP_MD_CTX_free(ctx);
	memcpy(&tk->key, digest, sizeof(tk->key));
	if (tk->key == 0)
		tk->key = 1;
	memcpy(parts, digest + 8, sizeof(parts));
	tk->set = (parts[0] % (table->header->nentries / THROTTLE_WAYS)) * THROTTLE_WAYS;
	tk->bucket[0] = parts[1] % table->header->nbuckets;
	tk->bucket[1] = parts[2] % table->header->nbuckets;
	if (tk->bucket[1] == tk->bucket[0])
		tk->bucket[1] = (tk->bucket[0] + 1) % table->header->nbuckets;
}

/* The email's entry, or NULL. */
static ThrottleEntry *
find_entry(const ThrottleKey *tk)
{
	for (int i = 0; i < THROTTLE_WAYS; i++)
	{
		ThrottleEntry *e = &table->entries[tk->set + i];

		if (e->key == tk->key && e->dbid == MyDatabaseId)
			return e;
	}
	return NULL;
}

/*
 * An entry of the set that holds nothing alive, or NULL.  One database may
 * hold at most half of a set: a database whose own settings keep entries
 * alive for long, or that is flooded, cannot push the emails of the other
 * databases out of the table into the shared overflow counters.
 */
static ThrottleEntry *
free_entry(const ThrottleKey *tk, TimestampTz now)
{
	ThrottleEntry *found = NULL;
	int			mine = 0;

	for (int i = 0; i < THROTTLE_WAYS; i++)
	{
		ThrottleEntry *e = &table->entries[tk->set + i];
		bool		alive = e->key != 0 && (now < e->forget_at || now < e->locked_until);

		if (!alive && found == NULL)
			found = e;
		else if (alive && e->dbid == MyDatabaseId)
			mine++;
	}
	return mine < THROTTLE_WAYS / 2 ? found : NULL;
}

/*
 * Count a failure of an email in its entry; returns when it is locked
 * until, if it is locked now (and then counts nothing).
 */
static TimestampTz
count_in_entry(ThrottleEntry *e, TimestampTz now, int max_failures, int lockout)
{
	if (e->locked_until > now)
		return e->locked_until;
	if (now >= e->forget_at)
		e->failures = 0;
	e->failures++;
	if (e->failures >= max_failures)
	{
		int			excess = Min(e->failures - max_failures, 20);
		int64		lock = Min((int64) THROTTLE_FIRST_LOCK << excess, (int64) lockout);

		e->locked_until = TimestampTzPlusMilliseconds(now, lock * 1000);
	}

	/*
	 * Failures are remembered for signin_lockout after the last one, or after
	 * the lock.
	 */
	e->forget_at = TimestampTzPlusMilliseconds(Max(now, e->locked_until), (int64) lockout * 1000);
	return 0;
}

/*
 * Count a failure of this database in an overflow counter, raising it to
 * "failures" if below.  A counter that held nothing is this database's; one
 * that held another's failures holds several databases' from now on, even
 * when it is not raised: it may hold this failure.
 */
static void
raise_bucket(ThrottleBucket *bucket, int32 failures, TimestampTz forget_at)
{
	if (bucket->failures == 0)
		bucket->dbid = MyDatabaseId;
	else if (bucket->dbid != MyDatabaseId)
		bucket->dbid = InvalidOid;
	if (bucket->failures >= failures)
		return;
	bucket->failures = failures;
	bucket->forget_at = Max(bucket->forget_at, forget_at);
}

/*
 * Count a failure of an email in its two overflow counters (conservative
 * update: each is raised to one more than their minimum); returns when it
 * is locked until, if it is locked now (and then counts nothing).
 */
static TimestampTz
count_in_buckets(const ThrottleKey *tk, TimestampTz now, int max_failures, int lockout)
{
	ThrottleBucket *a = &table->buckets[tk->bucket[0]];
	ThrottleBucket *b = &table->buckets[tk->bucket[1]];
	int32		estimate;
	TimestampTz forget_at = TimestampTzPlusMilliseconds(now, (int64) lockout * 1000);

	if (now >= a->forget_at)
		a->failures = 0;
	if (now >= b->forget_at)
		b->failures = 0;
	estimate = Min(a->failures, b->failures);
	if (estimate >= max_failures)
		return Min(a->forget_at, b->forget_at);
	estimate++;
	raise_bucket(a, estimate, forget_at);
	raise_bucket(b, estimate, forget_at);
	return 0;
}

/*
 * True if an overflow counter may hold failures of this database: it holds
 * failures, not yet forgotten, of this database or of several (lock held).
 */
static bool
bucket_may_be_ours(const ThrottleBucket *bucket, TimestampTz now)
{
	return bucket->failures > 0 && now < bucket->forget_at &&
		(bucket->dbid == MyDatabaseId || bucket->dbid == InvalidOid);
}

/* True if the email may have failures in the overflow counters (lock held). */
static bool
in_buckets(const ThrottleKey *tk, TimestampTz now)
{
	return bucket_may_be_ours(&table->buckets[tk->bucket[0]], now) &&
		bucket_may_be_ours(&table->buckets[tk->bucket[1]], now);
}

/*
 * Called before the password is checked: refuse at once (28000) while the
 * email is locked; otherwise count the attempt as a failure now, before the
 * slow hash, so that parallel attempts cannot get past the limit.  A
 * success then forgets it (throttle_success with the same "tk").
 */
void
jwt_auth_throttle_attempt(const char *email, size_t len, ThrottleKey *tk)
{
	const Settings *cfg = jwt_auth_config_get();
	TimestampTz now;
	TimestampTz locked_until;
	ThrottleEntry *e;

	memset(tk, 0, sizeof(*tk));
	if (cfg->max_failed_signins == 0)
		return;
	table = jwt_auth_throttle_file_open();
	locate(email, len, tk);
	tk->active = true;

	now = GetCurrentTimestamp();
	jwt_auth_throttle_file_lock();
	e = find_entry(tk);

	/*
	 * A new email takes a free entry, unless the overflow counters already
	 * hold failures that may be its own: those are never dropped.
	 */
	if (e == NULL && !in_buckets(tk, now))
	{
		e = free_entry(tk, now);
		if (e != NULL)
		{
			e->key = tk->key;
			e->dbid = MyDatabaseId;
			e->failures = 0;
			e->forget_at = 0;
			e->locked_until = 0;
		}
	}

	/*
	 * The shared counters forget by the server's signin_lockout, never a
	 * longer one a database chose for itself.
	 */
	if (e != NULL)
		locked_until = count_in_entry(e, now, cfg->max_failed_signins, cfg->signin_lockout);
	else
		locked_until = count_in_buckets(tk, now, cfg->max_failed_signins,
										Min(cfg->signin_lockout, jwt_auth_guc_settings.signin_lockout));
	jwt_auth_throttle_file_unlock();

	if (locked_until > now)
	{
		long		secs;
		int			usecs;

		TimestampDifference(now, locked_until, &secs, &usecs);
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION),
				 errmsg("too many failed sign-in attempts"),
				 errdetail("Sign-ins for this email are locked for a while after %d failures.",
						   cfg->max_failed_signins),
				 errhint("Try again in %ld seconds.", secs + (usecs > 0 ? 1 : 0))));
	}
}

/* The password was right: forget the email's failures (not shared counters). */
void
jwt_auth_throttle_success(const ThrottleKey *tk)
{
	ThrottleEntry *e;

	if (!tk->active)
		return;
	jwt_auth_throttle_file_lock();
	e = find_entry(tk);
	if (e != NULL)
		memset(e, 0, sizeof(*e));
	jwt_auth_throttle_file_unlock();
}
