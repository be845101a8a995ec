-- Included by sql/upgrade.sql: every object of the extension in this
-- database, one line each, sorted, into the psql variable cat_text.
\set ECHO none
SELECT string_agg(line, E'\n' ORDER BY line) AS cat_text FROM (
    SELECT format('column %s.%s %s %s %s %s', c.relname, a.attname, format_type(a.atttypid, a.atttypmod),
                  a.attnotnull, pg_get_expr(d.adbin, d.adrelid), a.attacl) AS line
      FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
      LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
     WHERE c.relnamespace = 'auth'::regnamespace
    UNION ALL
    SELECT format('constraint %s %s', conname, pg_get_constraintdef(oid))
      FROM pg_constraint WHERE connamespace = 'auth'::regnamespace
    UNION ALL
    SELECT format('index %s', pg_get_indexdef(indexrelid))
      FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relnamespace = 'auth'::regnamespace
    UNION ALL
    SELECT format('function %s %s %s %s %s %s %s %s %s %s', p.oid::regprocedure, p.proowner::regrole,
                  pg_get_function_result(p.oid),
                  p.provolatile, p.proparallel, p.prosecdef, p.proconfig,
                  md5(pg_get_functiondef(p.oid)), obj_description(p.oid, 'pg_proc'),
                  (SELECT array_agg(a.grantee::regrole::text || ':' || a.privilege_type ORDER BY 1)
                     FROM aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a
                    WHERE a.grantee <> p.proowner))
      FROM pg_proc p JOIN pg_depend dep ON dep.objid = p.oid AND dep.deptype = 'e'
      JOIN pg_extension e ON e.oid = dep.refobjid AND e.extname = 'jwt_auth'
    UNION ALL
    SELECT format('trigger %s %s', pg_get_triggerdef(t.oid), t.tgenabled) FROM pg_trigger t
      JOIN pg_class c ON c.oid = t.tgrelid
     WHERE c.relnamespace = 'auth'::regnamespace AND NOT t.tgisinternal
    UNION ALL
    SELECT format('config %s %s', c.oid::regclass, c.cond)
      FROM pg_extension e, unnest(e.extconfig, e.extcondition) AS c(oid, cond) WHERE e.extname = 'jwt_auth'
    UNION ALL
    SELECT format('relation %s %s %s %s %s %s %s %s', relname, relkind, relowner::regrole, relacl,
                  relrowsecurity, relforcerowsecurity, reloptions, obj_description(oid, 'pg_class'))
      FROM pg_class WHERE relnamespace = 'auth'::regnamespace
    UNION ALL
    SELECT format('column comment %s.%s %s', c.relname, a.attname, col_description(c.oid, a.attnum))
      FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
     WHERE c.relnamespace = 'auth'::regnamespace AND col_description(c.oid, a.attnum) IS NOT NULL
    UNION ALL
    SELECT format('policy %s %s %s %s %s %s %s', p.polname, p.polrelid::regclass, p.polcmd, p.polpermissive,
                  p.polroles::regrole[], pg_get_expr(p.polqual, p.polrelid), pg_get_expr(p.polwithcheck, p.polrelid))
      FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid WHERE c.relnamespace = 'auth'::regnamespace
    UNION ALL
    SELECT format('schema %s %s %s %s', nspname, nspowner::regrole, nspacl, obj_description(oid, 'pg_namespace'))
      FROM pg_namespace WHERE nspname = 'auth'
    UNION ALL
    SELECT format('member %s', pg_describe_object(dep.classid, dep.objid, dep.objsubid))
      FROM pg_depend dep JOIN pg_extension e ON e.oid = dep.refobjid AND e.extname = 'jwt_auth'
     WHERE dep.deptype = 'e'
    UNION ALL
    SELECT format('initprivs %s %s %s', pg_describe_object(i.classoid, i.objoid, i.objsubid), i.privtype, i.initprivs)
      FROM pg_init_privs i
      JOIN pg_depend dep ON dep.classid = i.classoid AND dep.objid = i.objoid AND dep.deptype = 'e'
      JOIN pg_extension e ON e.oid = dep.refobjid AND e.extname = 'jwt_auth'
) lines \gset
\set ECHO all
