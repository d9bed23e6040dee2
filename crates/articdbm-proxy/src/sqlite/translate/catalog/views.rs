//! The TEMP views emulating `pg_catalog` and `information_schema` over the `main` database's
//! schema (`sqlite_schema` and the `pragma_*` table-valued functions).
//!
//! Each catalog `X` is a TEMP table `_pgshape_X` with PostgreSQL-like declared column types
//! (`INTEGER`, `BOOLEAN`, `TEXT`, `_TEXT` for arrays) plus a TEMP view `X` that is the live
//! query `UNION ALL SELECT * FROM _pgshape_X`. SQLite reports a view column's declared type from
//! the right-most arm of the compound, so result columns carry these declared types (booleans
//! arrive as `bool`, not as integers), and the `CAST(.. AS INTEGER)` on OID columns gives them
//! integer affinity so `oid = '16438'` compares as PostgreSQL does. Fixed catalogs (`pg_type`,
//! `pg_namespace`, `pg_settings`...) keep their rows in the shape table itself.
//! `information_schema.x` is served by the view `information_schema_x`.

/// `(view name, columns with declared types, live query or "" for none)`.
pub(crate) type Catalog = (&'static str, &'static str, &'static str);

/// Internal helper views (no shape table): user relations, indexes and constraints of `main`,
/// and the lookups behind `::regclass`, `pg_get_constraintdef`, `pg_get_indexdef` and
/// `pg_get_viewdef` (their `__`-prefixed columns cannot capture an unqualified outer column
/// such as `oid` in the translator's correlated subqueries).
pub(crate) const HELPERS: &[(&str, &str)] = &[
    (
        "_pg_lookup_rel",
        "SELECT c.oid AS __oid, c.relname AS __name, \
           (SELECT r.sql FROM _pg_rel r WHERE r.name = c.relname AND r.type = 'view') AS __viewdef \
         FROM pg_class c",
    ),
    (
        "_pg_lookup_con",
        "SELECT oid AS __oid, condef AS __def FROM _pg_con",
    ),
    (
        "_pg_lookup_idx",
        "SELECT indexrelid AS __oid, indexdef AS __def, \
           '{' || replace(colnames, ', ', ',') || '}' AS __cols FROM _pg_idx",
    ),
    (
        "_pg_rel",
        "SELECT name, type, sql FROM main.sqlite_schema \
         WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'",
    ),
    (
        "_pg_idx",
        "SELECT tbl, idxname, CAST(pg_object_oid(idxname) AS INTEGER) AS indexrelid, \
           CAST(pg_object_oid(tbl) AS INTEGER) AS indrelid, is_unique, origin, indkey, colnames, \
           length(indkey) - length(replace(indkey, ' ', '')) + 1 AS ncols, \
           'CREATE ' || CASE WHEN is_unique THEN 'UNIQUE ' ELSE '' END || 'INDEX ' || idxname || \
           ' ON public.' || tbl || ' USING btree (' || colnames || ')' AS indexdef \
         FROM ( \
           SELECT r.name AS tbl, \
             CASE il.origin WHEN 'pk' THEN r.name || '_pkey' \
               WHEN 'u' THEN r.name || '_' || (SELECT group_concat(ii.name, '_' ORDER BY ii.seqno) \
                 FROM pragma_index_info(il.name) ii) || '_key' \
               ELSE il.name END AS idxname, \
             il.\"unique\" AS is_unique, il.origin AS origin, \
             (SELECT group_concat(ii.cid + 1, ' ' ORDER BY ii.seqno) FROM pragma_index_info(il.name) ii) AS indkey, \
             (SELECT group_concat(ii.name, ', ' ORDER BY ii.seqno) FROM pragma_index_info(il.name) ii) AS colnames \
           FROM _pg_rel r, pragma_index_list(r.name) il WHERE r.type = 'table' \
           UNION ALL \
           SELECT r.name, r.name || '_pkey', 1, 'pk', ti.cid + 1, ti.name \
           FROM _pg_rel r, pragma_table_info(r.name) ti \
           WHERE r.type = 'table' AND ti.pk = 1 \
             AND NOT EXISTS (SELECT 1 FROM pragma_index_list(r.name) il WHERE il.origin = 'pk') \
             AND (SELECT count(*) FROM pragma_table_info(r.name) t2 WHERE t2.pk > 0) = 1 \
         )",
    ),
    (
        "_pg_con",
        "SELECT CAST(pg_object_oid(i.idxname || '.con') AS INTEGER) AS oid, i.idxname AS conname, \
           CASE i.origin WHEN 'pk' THEN 'p' ELSE 'u' END AS contype, i.indrelid AS conrelid, \
           i.indexrelid AS conindid, 0 AS confrelid, 'a' AS confupdtype, 'a' AS confdeltype, \
           's' AS confmatchtype, '{' || replace(i.indkey, ' ', ',') || '}' AS conkey, NULL AS confkey, \
           CASE i.origin WHEN 'pk' THEN 'PRIMARY KEY (' ELSE 'UNIQUE (' END || i.colnames || ')' AS condef \
         FROM _pg_idx i WHERE i.origin IN ('pk', 'u') \
         UNION ALL \
         SELECT CAST(pg_object_oid(f.conname || '.con') AS INTEGER), f.conname, 'f', \
           CAST(pg_object_oid(f.tbl) AS INTEGER), 0, CAST(pg_object_oid(f.reftbl) AS INTEGER), \
           f.upd, f.del, 's', '{' || f.conkey || '}', '{' || f.confkey || '}', \
           'FOREIGN KEY (' || f.cols || ') REFERENCES ' || f.reftbl || '(' || f.refcols || ')' || \
           CASE f.upd WHEN 'a' THEN '' ELSE ' ON UPDATE ' || f.on_update END || \
           CASE f.del WHEN 'a' THEN '' ELSE ' ON DELETE ' || f.on_delete END \
         FROM ( \
           SELECT r.name AS tbl, fk.\"table\" AS reftbl, \
             r.name || '_' || group_concat(fk.\"from\", '_' ORDER BY fk.seq) || '_fkey' AS conname, \
             group_concat(fk.\"from\", ', ' ORDER BY fk.seq) AS cols, \
             group_concat(coalesce(fk.\"to\", (SELECT p.name FROM pragma_table_info(fk.\"table\") p \
               WHERE p.pk = fk.seq + 1)), ', ' ORDER BY fk.seq) AS refcols, \
             group_concat((SELECT c.cid + 1 FROM pragma_table_info(r.name) c WHERE c.name = fk.\"from\"), \
               ',' ORDER BY fk.seq) AS conkey, \
             group_concat(coalesce((SELECT c.cid + 1 FROM pragma_table_info(fk.\"table\") c \
               WHERE c.name = fk.\"to\"), (SELECT p.cid + 1 FROM pragma_table_info(fk.\"table\") p \
               WHERE p.pk = fk.seq + 1)), ',' ORDER BY fk.seq) AS confkey, \
             min(fk.on_update) AS on_update, min(fk.on_delete) AS on_delete, \
             CASE min(fk.on_update) WHEN 'CASCADE' THEN 'c' WHEN 'RESTRICT' THEN 'r' \
               WHEN 'SET NULL' THEN 'n' WHEN 'SET DEFAULT' THEN 'd' ELSE 'a' END AS upd, \
             CASE min(fk.on_delete) WHEN 'CASCADE' THEN 'c' WHEN 'RESTRICT' THEN 'r' \
               WHEN 'SET NULL' THEN 'n' WHEN 'SET DEFAULT' THEN 'd' ELSE 'a' END AS del \
           FROM _pg_rel r, pragma_foreign_key_list(r.name) fk WHERE r.type = 'table' \
           GROUP BY r.name, fk.id \
         ) f",
    ),
];

const NOT_INTERNAL: &str = "";

/// The catalogs, in creation order.
pub(crate) const CATALOGS: &[Catalog] = &[
    (
        "pg_namespace",
        "oid INTEGER, nspname TEXT, nspowner INTEGER, nspacl _TEXT",
        NOT_INTERNAL,
    ),
    (
        "pg_class",
        "oid INTEGER, relname TEXT, relnamespace INTEGER, reltype INTEGER, reloftype INTEGER, \
         relowner INTEGER, relam INTEGER, relfilenode INTEGER, reltablespace INTEGER, \
         relpages INTEGER, reltuples REAL, relallvisible INTEGER, reltoastrelid INTEGER, \
         relhasindex BOOLEAN, relisshared BOOLEAN, relpersistence TEXT, relkind TEXT, \
         relnatts INTEGER, relchecks INTEGER, relhasrules BOOLEAN, relhastriggers BOOLEAN, \
         relhassubclass BOOLEAN, relrowsecurity BOOLEAN, relforcerowsecurity BOOLEAN, \
         relispopulated BOOLEAN, relreplident TEXT, relispartition BOOLEAN, relrewrite INTEGER, \
         relfrozenxid INTEGER, relminmxid INTEGER, relacl _TEXT, reloptions _TEXT, relpartbound TEXT",
        "SELECT CAST(pg_object_oid(r.name) AS INTEGER), r.name, 2200, 0, 0, 10, \
           CASE r.type WHEN 'table' THEN 2 ELSE 0 END, 0, 0, 0, -1, 0, 0, \
           EXISTS (SELECT 1 FROM _pg_idx i WHERE i.tbl = r.name), 0, 'p', \
           CASE r.type WHEN 'table' THEN 'r' ELSE 'v' END, \
           (SELECT count(*) FROM pragma_table_info(r.name)), 0, 0, \
           EXISTS (SELECT 1 FROM main.sqlite_schema t WHERE t.type = 'trigger' AND t.tbl_name = r.name), \
           0, 0, 0, 1, 'd', 0, 0, 0, 0, NULL, NULL, NULL \
         FROM _pg_rel r \
         UNION ALL \
         SELECT i.indexrelid, i.idxname, 2200, 0, 0, 10, 403, 0, 0, 0, -1, 0, 0, 0, 0, 'p', 'i', \
           i.ncols, 0, 0, 0, 0, 0, 0, 1, 'n', 0, 0, 0, 0, NULL, NULL, NULL \
         FROM _pg_idx i",
    ),
    (
        "pg_attribute",
        "attrelid INTEGER, attname TEXT, atttypid INTEGER, attstattarget INTEGER, attlen INTEGER, \
         attnum INTEGER, attndims INTEGER, attcacheoff INTEGER, atttypmod INTEGER, \
         attbyval BOOLEAN, attalign TEXT, attstorage TEXT, attcompression TEXT, \
         attnotnull BOOLEAN, atthasdef BOOLEAN, atthasmissing BOOLEAN, attidentity TEXT, \
         attgenerated TEXT, attisdropped BOOLEAN, attislocal BOOLEAN, attinhcount INTEGER, \
         attcollation INTEGER, attacl _TEXT, attoptions _TEXT, attfdwoptions _TEXT, \
         attmissingval TEXT",
        "SELECT CAST(pg_object_oid(r.name) AS INTEGER), c.name, \
           CAST(pg_decltype_oid(c.type) AS INTEGER), -1, -1, c.cid + 1, 0, -1, \
           pg_decltype_typmod(c.type), 0, 'i', 'x', '', (c.\"notnull\" OR c.pk > 0), \
           c.dflt_value IS NOT NULL, 0, '', CASE WHEN c.hidden IN (2, 3) THEN 's' ELSE '' END, \
           0, 1, 0, CASE WHEN pg_decltype_oid(c.type) IN (25, 1042, 1043) THEN 100 ELSE 0 END, \
           NULL, NULL, NULL, NULL \
         FROM _pg_rel r, pragma_table_xinfo(r.name) c",
    ),
    (
        "pg_attrdef",
        "oid INTEGER, adrelid INTEGER, adnum INTEGER, adbin TEXT",
        "SELECT CAST(pg_object_oid(r.name || '.' || c.name || '.def') AS INTEGER), \
           CAST(pg_object_oid(r.name) AS INTEGER), c.cid + 1, c.dflt_value \
         FROM _pg_rel r, pragma_table_xinfo(r.name) c WHERE c.dflt_value IS NOT NULL",
    ),
    (
        "pg_index",
        "indexrelid INTEGER, indrelid INTEGER, indnatts INTEGER, indnkeyatts INTEGER, \
         indisunique BOOLEAN, indnullsnotdistinct BOOLEAN, indisprimary BOOLEAN, \
         indisexclusion BOOLEAN, indimmediate BOOLEAN, indisclustered BOOLEAN, \
         indisvalid BOOLEAN, indcheckxmin BOOLEAN, indisready BOOLEAN, indislive BOOLEAN, \
         indisreplident BOOLEAN, indkey TEXT, indcollation TEXT, indclass TEXT, indoption TEXT, \
         indexprs TEXT, indpred TEXT",
        "SELECT i.indexrelid, i.indrelid, i.ncols, i.ncols, i.is_unique, 0, i.origin = 'pk', 0, 1, \
           0, 1, 0, 1, 1, 0, i.indkey, trim(replace(hex(zeroblob(i.ncols)), '00', '0 ')), \
           trim(replace(hex(zeroblob(i.ncols)), '00', '0 ')), \
           trim(replace(hex(zeroblob(i.ncols)), '00', '0 ')), NULL, NULL \
         FROM _pg_idx i",
    ),
    (
        "pg_constraint",
        "oid INTEGER, conname TEXT, connamespace INTEGER, contype TEXT, condeferrable BOOLEAN, \
         condeferred BOOLEAN, convalidated BOOLEAN, conrelid INTEGER, contypid INTEGER, \
         conindid INTEGER, conparentid INTEGER, confrelid INTEGER, confupdtype TEXT, \
         confdeltype TEXT, confmatchtype TEXT, conislocal BOOLEAN, coninhcount INTEGER, \
         connoinherit BOOLEAN, conkey _INT2, confkey _INT2, conpfeqop _TEXT, conppeqop _TEXT, \
         conffeqop _TEXT, confdelsetcols _INT2, conexclop _TEXT, conbin TEXT",
        "SELECT c.oid, c.conname, 2200, c.contype, 0, 0, 1, c.conrelid, 0, c.conindid, 0, \
           c.confrelid, c.confupdtype, c.confdeltype, c.confmatchtype, 1, 0, 1, c.conkey, \
           c.confkey, NULL, NULL, NULL, NULL, NULL, NULL \
         FROM _pg_con c",
    ),
    (
        "pg_type",
        "oid INTEGER, typname TEXT, typnamespace INTEGER, typowner INTEGER, typlen INTEGER, \
         typbyval BOOLEAN, typtype TEXT, typcategory TEXT, typispreferred BOOLEAN, \
         typisdefined BOOLEAN, typdelim TEXT, typrelid INTEGER, typsubscript TEXT, \
         typelem INTEGER, typarray INTEGER, typinput TEXT, typoutput TEXT, typreceive TEXT, \
         typsend TEXT, typmodin TEXT, typmodout TEXT, typanalyze TEXT, typalign TEXT, \
         typstorage TEXT, typnotnull BOOLEAN, typbasetype INTEGER, typtypmod INTEGER, \
         typndims INTEGER, typcollation INTEGER, typdefaultbin TEXT, typdefault TEXT, \
         typacl _TEXT",
        NOT_INTERNAL,
    ),
    (
        "pg_database",
        "oid INTEGER, datname TEXT, datdba INTEGER, encoding INTEGER, datlocprovider TEXT, \
         datistemplate BOOLEAN, datallowconn BOOLEAN, datconnlimit INTEGER, \
         datfrozenxid INTEGER, datminmxid INTEGER, dattablespace INTEGER, datcollate TEXT, \
         datctype TEXT, daticulocale TEXT, datcollversion TEXT, datacl _TEXT",
        NOT_INTERNAL,
    ),
    (
        "pg_roles",
        "rolname TEXT, rolsuper BOOLEAN, rolinherit BOOLEAN, rolcreaterole BOOLEAN, \
         rolcreatedb BOOLEAN, rolcanlogin BOOLEAN, rolreplication BOOLEAN, \
         rolconnlimit INTEGER, rolpassword TEXT, rolvaliduntil TEXT, rolbypassrls BOOLEAN, \
         rolconfig _TEXT, oid INTEGER",
        NOT_INTERNAL,
    ),
    (
        "pg_user",
        "usename TEXT, usesysid INTEGER, usecreatedb BOOLEAN, usesuper BOOLEAN, \
         userepl BOOLEAN, usebypassrls BOOLEAN, passwd TEXT, valuntil TEXT, useconfig _TEXT",
        NOT_INTERNAL,
    ),
    (
        "pg_auth_members",
        "roleid INTEGER, member INTEGER, grantor INTEGER, admin_option BOOLEAN",
        NOT_INTERNAL,
    ),
    (
        "pg_am",
        "oid INTEGER, amname TEXT, amhandler TEXT, amtype TEXT",
        NOT_INTERNAL,
    ),
    (
        "pg_settings",
        "name TEXT, setting TEXT, unit TEXT, category TEXT, short_desc TEXT, extra_desc TEXT, \
         context TEXT, vartype TEXT, source TEXT, min_val TEXT, max_val TEXT, enumvals _TEXT, \
         boot_val TEXT, reset_val TEXT, sourcefile TEXT, sourceline INTEGER, \
         pending_restart BOOLEAN",
        NOT_INTERNAL,
    ),
    (
        "pg_description",
        "objoid INTEGER, classoid INTEGER, objsubid INTEGER, description TEXT",
        NOT_INTERNAL,
    ),
    (
        "pg_shdescription",
        "objoid INTEGER, classoid INTEGER, description TEXT",
        NOT_INTERNAL,
    ),
    (
        "pg_inherits",
        "inhrelid INTEGER, inhparent INTEGER, inhseqno INTEGER, inhdetachpending BOOLEAN",
        NOT_INTERNAL,
    ),
    (
        "pg_enum",
        "oid INTEGER, enumtypid INTEGER, enumsortorder REAL, enumlabel TEXT",
        NOT_INTERNAL,
    ),
    (
        "pg_collation",
        "oid INTEGER, collname TEXT, collnamespace INTEGER, collowner INTEGER, \
         collprovider TEXT, collisdeterministic BOOLEAN, collencoding INTEGER, \
         collcollate TEXT, collctype TEXT, colliculocale TEXT, collversion TEXT",
        NOT_INTERNAL,
    ),
    (
        "pg_sequence",
        "seqrelid INTEGER, seqtypid INTEGER, seqstart INTEGER, seqincrement INTEGER, \
         seqmax INTEGER, seqmin INTEGER, seqcache INTEGER, seqcycle BOOLEAN",
        NOT_INTERNAL,
    ),
    (
        "pg_range",
        "rngtypid INTEGER, rngsubtype INTEGER, rngmultitypid INTEGER, rngcollation INTEGER, \
         rngsubopc INTEGER, rngcanonical TEXT, rngsubdiff TEXT",
        NOT_INTERNAL,
    ),
    (
        "pg_policy",
        "oid INTEGER, polname TEXT, polrelid INTEGER, polcmd TEXT, polpermissive BOOLEAN, \
         polroles _INT4, polqual TEXT, polwithcheck TEXT",
        NOT_INTERNAL,
    ),
    (
        "pg_statistic_ext",
        "oid INTEGER, stxrelid INTEGER, stxname TEXT, stxnamespace INTEGER, stxowner INTEGER, \
         stxstattarget INTEGER, stxkeys TEXT, stxkind _TEXT, stxexprs TEXT",
        NOT_INTERNAL,
    ),
    (
        "pg_publication",
        "oid INTEGER, pubname TEXT, pubowner INTEGER, puballtables BOOLEAN, \
         pubinsert BOOLEAN, pubupdate BOOLEAN, pubdelete BOOLEAN, pubtruncate BOOLEAN, \
         pubviaroot BOOLEAN",
        NOT_INTERNAL,
    ),
    (
        "pg_publication_namespace",
        "oid INTEGER, pnpubid INTEGER, pnnspid INTEGER",
        NOT_INTERNAL,
    ),
    (
        "pg_publication_rel",
        "oid INTEGER, prpubid INTEGER, prrelid INTEGER, prqual TEXT, prattrs TEXT",
        NOT_INTERNAL,
    ),
    (
        "pg_trigger",
        "oid INTEGER, tgrelid INTEGER, tgparentid INTEGER, tgname TEXT, tgfoid INTEGER, \
         tgtype INTEGER, tgenabled TEXT, tgisinternal BOOLEAN, tgconstrrelid INTEGER, \
         tgconstrindid INTEGER, tgconstraint INTEGER, tgdeferrable BOOLEAN, \
         tginitdeferred BOOLEAN, tgnargs INTEGER, tgattr TEXT, tgargs BLOB, tgqual TEXT, \
         tgoldtable TEXT, tgnewtable TEXT",
        NOT_INTERNAL,
    ),
    (
        "pg_opclass",
        "oid INTEGER, opcmethod INTEGER, opcname TEXT, opcnamespace INTEGER, \
         opcowner INTEGER, opcfamily INTEGER, opcintype INTEGER, opcdefault BOOLEAN, \
         opckeytype INTEGER",
        NOT_INTERNAL,
    ),
    (
        "pg_tablespace",
        "oid INTEGER, spcname TEXT, spcowner INTEGER, spcacl _TEXT, spcoptions _TEXT",
        NOT_INTERNAL,
    ),
    (
        "pg_extension",
        "oid INTEGER, extname TEXT, extowner INTEGER, extnamespace INTEGER, \
         extrelocatable BOOLEAN, extversion TEXT, extconfig _INT4, extcondition _TEXT",
        NOT_INTERNAL,
    ),
    (
        "pg_proc",
        "oid INTEGER, proname TEXT, pronamespace INTEGER, proowner INTEGER, prolang INTEGER, \
         procost REAL, prorows REAL, provariadic INTEGER, prosupport TEXT, prokind TEXT, \
         prosecdef BOOLEAN, proleakproof BOOLEAN, proisstrict BOOLEAN, proretset BOOLEAN, \
         provolatile TEXT, proparallel TEXT, pronargs INTEGER, pronargdefaults INTEGER, \
         prorettype INTEGER, proargtypes TEXT, proallargtypes _INT4, proargmodes _TEXT, \
         proargnames _TEXT, proargdefaults TEXT, protrftypes _INT4, prosrc TEXT, probin TEXT, \
         prosqlbody TEXT, proconfig _TEXT, proacl _TEXT",
        NOT_INTERNAL,
    ),
    (
        "pg_tables",
        "schemaname TEXT, tablename TEXT, tableowner TEXT, tablespace TEXT, \
         hasindexes BOOLEAN, hasrules BOOLEAN, hastriggers BOOLEAN, rowsecurity BOOLEAN",
        "SELECT 'public', c.relname, current_user(), NULL, c.relhasindex, 0, c.relhastriggers, 0 \
         FROM pg_class c WHERE c.relkind = 'r'",
    ),
    (
        "pg_views",
        "schemaname TEXT, viewname TEXT, viewowner TEXT, definition TEXT",
        "SELECT 'public', r.name, current_user(), r.sql FROM _pg_rel r WHERE r.type = 'view'",
    ),
    (
        "pg_indexes",
        "schemaname TEXT, tablename TEXT, indexname TEXT, tablespace TEXT, indexdef TEXT",
        "SELECT 'public', i.tbl, i.idxname, NULL, i.indexdef FROM _pg_idx i",
    ),
    (
        "information_schema_schemata",
        "catalog_name TEXT, schema_name TEXT, schema_owner TEXT, \
         default_character_set_catalog TEXT, default_character_set_schema TEXT, \
         default_character_set_name TEXT, sql_path TEXT",
        "SELECT current_database(), n.nspname, current_user(), NULL, NULL, NULL, NULL \
         FROM pg_namespace n",
    ),
    (
        "information_schema_tables",
        "table_catalog TEXT, table_schema TEXT, table_name TEXT, table_type TEXT, \
         self_referencing_column_name TEXT, reference_generation TEXT, \
         user_defined_type_catalog TEXT, user_defined_type_schema TEXT, \
         user_defined_type_name TEXT, is_insertable_into TEXT, is_typed TEXT, \
         commit_action TEXT",
        "SELECT current_database(), 'public', r.name, \
           CASE r.type WHEN 'table' THEN 'BASE TABLE' ELSE 'VIEW' END, NULL, NULL, NULL, NULL, \
           NULL, CASE r.type WHEN 'table' THEN 'YES' ELSE 'NO' END, 'NO', NULL \
         FROM _pg_rel r",
    ),
    (
        "information_schema_views",
        "table_catalog TEXT, table_schema TEXT, table_name TEXT, view_definition TEXT, \
         check_option TEXT, is_updatable TEXT, is_insertable_into TEXT, \
         is_trigger_updatable TEXT, is_trigger_deletable TEXT, \
         is_trigger_insertable_into TEXT",
        "SELECT current_database(), 'public', r.name, r.sql, 'NONE', 'NO', 'NO', 'NO', 'NO', 'NO' \
         FROM _pg_rel r WHERE r.type = 'view'",
    ),
    (
        "information_schema_columns",
        "table_catalog TEXT, table_schema TEXT, table_name TEXT, column_name TEXT, \
         ordinal_position INTEGER, column_default TEXT, is_nullable TEXT, data_type TEXT, \
         character_maximum_length INTEGER, character_octet_length INTEGER, \
         numeric_precision INTEGER, numeric_precision_radix INTEGER, numeric_scale INTEGER, \
         datetime_precision INTEGER, interval_type TEXT, interval_precision INTEGER, \
         udt_catalog TEXT, udt_schema TEXT, udt_name TEXT, is_identity TEXT, \
         identity_generation TEXT, is_generated TEXT, generation_expression TEXT, \
         is_updatable TEXT",
        "SELECT current_database(), 'public', t.tname, t.name, t.cid + 1, t.dflt_value, \
           CASE WHEN t.\"notnull\" OR t.pk > 0 THEN 'NO' ELSE 'YES' END, \
           CASE WHEN t.typid IN (1009, 1016, 1000, 1022, 1015, 1231, 2951, 1001) THEN 'ARRAY' \
             ELSE format_type(t.typid, -1) END, \
           CASE WHEN t.typid IN (1042, 1043) AND t.typmod > 4 THEN t.typmod - 4 END, \
           CASE WHEN t.typid IN (25, 1042, 1043) THEN 1073741824 END, \
           CASE t.typid WHEN 20 THEN 64 WHEN 701 THEN 53 \
             WHEN 1700 THEN CASE WHEN t.typmod > 4 THEN (t.typmod - 4) >> 16 END END, \
           CASE WHEN t.typid IN (20, 701, 1700) THEN CASE t.typid WHEN 1700 THEN 10 ELSE 2 END END, \
           CASE t.typid WHEN 20 THEN 0 WHEN 1700 THEN CASE WHEN t.typmod > 4 THEN (t.typmod - 4) & 65535 END END, \
           CASE WHEN t.typid IN (1082, 1083, 1114, 1184) THEN 6 END, NULL, NULL, \
           current_database(), 'pg_catalog', (SELECT y.typname FROM pg_type y WHERE y.oid = t.typid), \
           'NO', NULL, CASE WHEN t.hidden IN (2, 3) THEN 'ALWAYS' ELSE 'NEVER' END, NULL, \
           CASE t.rtype WHEN 'table' THEN 'YES' ELSE 'NO' END \
         FROM (SELECT r.name AS tname, r.type AS rtype, c.*, pg_decltype_oid(c.type) AS typid, \
           pg_decltype_typmod(c.type) AS typmod FROM _pg_rel r, pragma_table_xinfo(r.name) c) t",
    ),
    (
        "information_schema_table_constraints",
        "constraint_catalog TEXT, constraint_schema TEXT, constraint_name TEXT, \
         table_catalog TEXT, table_schema TEXT, table_name TEXT, constraint_type TEXT, \
         is_deferrable TEXT, initially_deferred TEXT, enforced TEXT, nulls_distinct TEXT",
        "SELECT current_database(), 'public', k.conname, current_database(), 'public', \
           c.relname, CASE k.contype WHEN 'p' THEN 'PRIMARY KEY' WHEN 'u' THEN 'UNIQUE' \
             ELSE 'FOREIGN KEY' END, 'NO', 'NO', 'YES', CASE k.contype WHEN 'u' THEN 'YES' END \
         FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid",
    ),
    (
        "information_schema_key_column_usage",
        "constraint_catalog TEXT, constraint_schema TEXT, constraint_name TEXT, \
         table_catalog TEXT, table_schema TEXT, table_name TEXT, column_name TEXT, \
         ordinal_position INTEGER, position_in_unique_constraint INTEGER",
        "SELECT current_database(), 'public', k.conname, current_database(), 'public', \
           c.relname, a.attname, j.key + 1, CASE k.contype WHEN 'f' THEN j.key + 1 END \
         FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid, \
           json_each(pg_array_json(k.conkey)) j \
           JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = j.value",
    ),
];

/// Statements creating the helper views, shape tables and catalog views.
pub(crate) fn create_statements() -> Vec<String> {
    let mut out = Vec::new();
    for (name, query) in HELPERS {
        out.push(format!("CREATE TEMP VIEW {name} AS {query}"));
    }
    for (name, columns, query) in CATALOGS {
        let names: Vec<&str> = columns
            .split(',')
            .filter_map(|c| c.split_whitespace().next())
            .collect();
        out.push(format!("CREATE TEMP TABLE _pgshape_{name} ({columns})"));
        let body = if query.is_empty() {
            format!("SELECT * FROM _pgshape_{name}")
        } else {
            format!("{query} UNION ALL SELECT * FROM _pgshape_{name}")
        };
        out.push(format!(
            "CREATE TEMP VIEW {name} ({}) AS {body}",
            names.join(", ")
        ));
    }
    out
}
