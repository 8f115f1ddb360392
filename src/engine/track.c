/*
 * track.c
 *		prio.track()'s checks in C: whether the caller owns the table, and the
 *		compilation of one mapping expression into SQL prio can run safely
 *		(the entry points are sql/_track_check_owner.c, _track_compile.c).
 *
 * A mapping value (a column name or an SQL expression over one row of the
 * tracked table) is parsed and analysed here as PostgreSQL analyses a CHECK
 * constraint: against the table's columns only, with search_path set to
 * pg_catalog, so it cannot pick up functions or operators of the caller's
 * schemas.  The expression prio stores is not the text the caller gave but
 * its deparsed form (every name qualified where pg_catalog would not find
 * it), so what runs later is exactly what was checked now.
 *
 * prio's triggers on the tracked table run the expressions as prio's owner
 * (they write prio's tables, which the application's roles may not).  So an
 * expression may use only what cannot act with those rights on the caller's
 * behalf: the row's columns, constants, and built-in functions and operators
 * (schema pg_catalog) that are immutable -- or stable only because of the time
 * zone or date style (casts, type input and output, date_trunc, date_part,
 * to_char, timezone) -- and that the caller may execute, over values of
 * types only a superuser can give casts (casts are resolved again whenever
 * the triggers parse the compiled SQL, and to_jsonb() calls a type's cast to
 * json): built-in types, those of extensions a superuser installed, domains
 * over them.  No subquery, aggregate, window or set-returning function, no
 * cast to a domain (its CHECK could call any function), no system column, no
 * whole-row reference, nothing that depends on when or by whom it runs
 * (CURRENT_USER, now()).
 */
#include "prio.h"

#include "access/genam.h"
#include "access/relation.h"
#include "access/table.h"
#include "catalog/pg_am.h"
#include "catalog/pg_cast.h"
#include "catalog/namespace.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "common/keywords.h"
#include "commands/defrem.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "nodes/nodeFuncs.h"
#include "parser/parse_coerce.h"
#include "parser/parse_collate.h"
#include "parser/parse_expr.h"
#include "parser/parse_node.h"
#include "parser/parse_relation.h"
#include "parser/parser.h"
#include "parser/scansup.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/json.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/regproc.h"
#include "utils/rls.h"
#include "utils/ruleutils.h"
#include "utils/syscache.h"

/*
 * prio._track_check_owner(source, action) (sql/_track_check_owner.c):
 * raises 42501 unless the role that called prio (SET ROLE included;
 * prio.track() itself runs as prio's owner) owns the table, or is a member
 * of its owner -- or may create triggers on it and read all of it: the
 * TRIGGER and SELECT privileges, and no row-level security policy of the
 * table applying to it (prio's admin, prio.grant_admin(), who may call
 * prio.track(); what prio then shows of the table the role could read
 * itself, and the triggers it could create).  A table that no longer exists
 * may be untracked by prio's owner (or a member of that role).
 */
void
PrioTrackCheckOwner(Oid relid, const char *action)
{
	if (!SearchSysCacheExists1(RELOID, ObjectIdGetDatum(relid)))
	{
		/*
		 * A tracked table dropped without untrack(): its owner is gone with
		 * it, so prio's owner (GetUserId() in the SECURITY DEFINER caller)
		 * or a member of that role may untrack it, which removes what prio
		 * kept of it.
		 */
		if (strcmp(action, "untrack") == 0 &&
			has_privs_of_role(GetOuterUserId(), GetUserId()))
			return;
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation with OID %u does not exist", relid),
				 strcmp(action, "untrack") == 0 ?
				 errhint("A tracked table dropped without prio.untrack() is untracked by prio's owner: SELECT prio.untrack(%u).", relid) : 0));
	}
	if (!pg_class_ownercheck(relid, GetOuterUserId()) &&
		!(pg_class_aclcheck(relid, GetOuterUserId(), ACL_TRIGGER) == ACLCHECK_OK &&
		  pg_class_aclcheck(relid, GetOuterUserId(), ACL_SELECT) == ACLCHECK_OK &&
		  check_enable_rls(relid, GetOuterUserId(), true) != RLS_ENABLED))
	{
		char	   *name = quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
													  get_rel_name(relid));

		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("must be owner of table %s to %s it", name, action),
				 errdetail("Role \"%s\" is neither the owner of %s nor a member of its owner, nor may it create triggers on it and read all its rows.",
						   GetUserNameFromId(GetOuterUserId(), false), name),
				 errhint("A role that is not the owner needs the TRIGGER and SELECT privileges on the table, with no row-level security policy of it applying to the role.")));
	}
}

/* what a function found in an expression may not be */
typedef struct TrackCheck
{
	const char *key;
	Oid			bad_func;
	const char *why;
	int			code;
} TrackCheck;

/*
 * An OID alias type (regclass, regproc, regtype, ...): its input and output
 * functions, and the casts from text to it, look names up in the catalogs
 * (under the search_path): "n::regclass::text", a constant 't'::regclass or
 * a regclass column gives another result, or fails, once a table is renamed
 * or dropped, and reads the catalogs as prio's owner.  No expression of
 * such a type (or an array of one) is taken (track_expr_walker).
 */
static bool
oid_alias_type(Oid type)
{
	switch (type)
	{
		case REGPROCOID:
		case REGPROCEDUREOID:
		case REGOPEROID:
		case REGOPERATOROID:
		case REGCLASSOID:
		case REGCOLLATIONOID:
		case REGTYPEOID:
		case REGROLEOID:
		case REGNAMESPACEOID:
		case REGCONFIGOID:
		case REGDICTIONARYOID:
			return true;
		default:
			return false;
	}
}

/*
 * Whether SQL reads name as the identifier name only when quoted: it has
 * capitals, spaces or other signs, starts with a digit, or is a keyword
 * (quote_identifier() quotes letters beyond ASCII too, which SQL reads
 * unquoted as they stand).
 */
static bool
needs_quotes(const char *name)
{
	int			kw;

	if (name[0] == '\0' || (name[0] >= '0' && name[0] <= '9') || name[0] == '$')
		return true;
	for (const char *c = name; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_' || *c == '$' ||
			  IS_HIGHBIT_SET(*c)))
			return true;
	kw = ScanKeywordLookup(name, &ScanKeywords);
	return kw >= 0 && ScanKeywordCategories[kw] != UNRESERVED_KEYWORD;
}

static bool
stable_for_time_zone_only(Oid func_id, const char *name)
{
	/* (timestamptz +/- interval: days and months are added in the time zone) */
	static const char *const names[] = {
		"date_trunc", "date_part", "extract", "to_char", "timezone",
		"timestamptz_pl_interval", "timestamptz_mi_interval", "interval_pl_timestamptz",
	};
	Relation	casts;
	SysScanDesc scan;
	HeapTuple	tup;
	bool		found = false;
	HeapTuple	ft = SearchSysCache1(PROCOID, ObjectIdGetDatum(func_id));
	Form_pg_proc p;
	bool		io;

	if (!HeapTupleIsValid(ft))
		elog(ERROR, "cache lookup failed for function %u", func_id);
	p = (Form_pg_proc) GETSTRUCT(ft);
	/* a type's input function takes cstring, its output function returns it */
	io = p->prorettype == CSTRINGOID ||
		(p->pronargs >= 1 && p->proargtypes.values[0] == CSTRINGOID);
	ReleaseSysCache(ft);

	for (int i = 0; i < lengthof(names); i++)
		if (strcmp(name, names[i]) == 0)
			return true;
	if (io)
		return true;
	/* a cast function */
	casts = table_open(CastRelationId, AccessShareLock);
	scan = systable_beginscan(casts, InvalidOid, false, NULL, 0, NULL);
	while (!found && HeapTupleIsValid(tup = systable_getnext(scan)))
		found = ((Form_pg_cast) GETSTRUCT(tup))->castfunc == func_id;
	systable_endscan(scan);
	table_close(casts, AccessShareLock);
	return found;
}

static bool
track_function_bad(Oid func_id, void *context)
{
	TrackCheck *ck = (TrackCheck *) context;
	char	   *name = get_func_name(func_id);
	char		vol = func_volatile(func_id);

	if (name == NULL)
		elog(ERROR, "cache lookup failed for function %u", func_id);
	if (get_func_namespace(func_id) != PG_CATALOG_NAMESPACE)
	{
		ck->why = "is not a built-in function (schema pg_catalog)";
		ck->code = ERRCODE_INVALID_PARAMETER_VALUE;
	}
	else if (strcmp(name, "current_setting") == 0 || vol == PROVOLATILE_VOLATILE ||
			 (vol == PROVOLATILE_STABLE && !stable_for_time_zone_only(func_id, name)))
	{
		ck->why = "may give another result for the same row later (it is not immutable)";
		ck->code = ERRCODE_INVALID_PARAMETER_VALUE;
	}
	else if (pg_proc_aclcheck(func_id, GetOuterUserId(), ACL_EXECUTE) != ACLCHECK_OK)
	{
		ck->why = "may not be executed by you";
		ck->code = ERRCODE_INSUFFICIENT_PRIVILEGE;
	}
	else
		return false;
	ck->bad_func = func_id;
	return true;
}

/*
 * A type whose casts only a superuser can change: one a superuser owns (the
 * built-in types, those of extensions a superuser installed), or a domain
 * over one.  A cast is resolved again each time prio's triggers parse the
 * compiled SQL, and to_jsonb() uses a type's cast to json: a type the table's
 * owner owns could be given a cast of theirs (CREATE CAST) after track(),
 * which prio's trigger would then call as prio's owner.
 */
static bool
track_type_trusted(Oid type)
{
	HeapTuple	tp = SearchSysCache1(TYPEOID, ObjectIdGetDatum(getBaseType(type)));
	bool		trusted;

	if (!HeapTupleIsValid(tp))
		elog(ERROR, "cache lookup failed for type %u", type);
	trusted = superuser_arg(((Form_pg_type) GETSTRUCT(tp))->typowner);
	ReleaseSysCache(tp);
	return trusted;
}

static bool
track_expr_walker(Node *node, TrackCheck *ck)
{
	if (node == NULL)
		return false;
	/* (lists of arguments are walked element by element below) */
	if (!IsA(node, List) && !track_type_trusted(exprType(node)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("mapping key \"%s\" uses type %s, which is not owned by a superuser",
						ck->key, format_type_be(exprType(node))),
				 errhint("prio's triggers evaluate the mapping as prio's owner, and a type's owner can give it casts: map columns of built-in types (text, integer, timestamptz, ...) or have a superuser own the type.")));
	if (!IsA(node, List))
	{
		Oid			type = getBaseType(exprType(node));
		Oid			elem = get_element_type(type);

		/* a column, constant or result of such a type: a name looked up again */
		if (oid_alias_type(type) || (OidIsValid(elem) && oid_alias_type(getBaseType(elem))))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("mapping key \"%s\" uses type %s, which may give another result for the same row later",
							ck->key, format_type_be(exprType(node))),
					 errhint("Values of the OID alias types (regclass, regtype, regproc, ...) are looked up by name in the catalogs each time prio's triggers read the mapping: map text or other columns instead.")));
	}
	if (IsA(node, Var) && ((Var *) node)->varattno <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("mapping key \"%s\" uses a system column or the whole row", ck->key),
				 errhint("Name the table's columns.")));
	if (IsA(node, CoerceToDomain))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("mapping key \"%s\" casts to domain %s", ck->key,
						format_type_be(((CoerceToDomain *) node)->resulttype)),
				 errhint("Cast to the domain's base type.")));
	if (IsA(node, SQLValueFunction) || IsA(node, NextValueExpr) || IsA(node, Param))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("mapping key \"%s\" depends on when or by whom it is evaluated", ck->key),
				 errhint("A mapping expression may use only the row's columns and constants.")));
	if (check_functions_in_node(node, track_function_bad, ck))
		ereport(ERROR,
				(errcode(ck->code),
				 errmsg("mapping key \"%s\" calls %s, which %s", ck->key,
						format_procedure_qualified(ck->bad_func), ck->why),
				 errhint("A mapping expression may use the row's columns, constants, and PostgreSQL's immutable built-in functions and operators.")));
	return expression_tree_walker(node, track_expr_walker, (void *) ck);
}

/*
 * prio._track_compile(source, key, expr, want) (sql/_track_compile.c):
 * parses and analyses one mapping expression over the table's row; want
 * (InvalidOid: any type) is the type it must give, by an implicit cast.
 * Returns in *out the deparsed expression (column names unqualified, to run over the table
 * or a transition table of it), its type (a domain's base type), the column
 * number when it is a plain column (else 0), its collation, and whether the
 * type has a btree equality.
 */
void
PrioTrackCompile(Oid relid, const char *key, const char *expr, Oid want,
				 TrackCompiled *out)
{
	List	   *raw;
	RawStmt    *rs;
	SelectStmt *sel;
	ResTarget  *rt;
	ParseState *pstate;
	ParseNamespaceItem *nsitem;
	Relation	rel;
	Node	   *node;
	Oid			type;
	TrackCheck	ck = {0};
	int			nest;

	ck.key = key;

	/* names resolve in pg_catalog (then pg_temp for types); ISO for constants */
	nest = NewGUCNestLevel();
	(void) set_config_option("search_path", "pg_catalog, pg_temp", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	(void) set_config_option("datestyle", "ISO, YMD", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	(void) set_config_option("intervalstyle", "postgres", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	(void) set_config_option("extra_float_digits", "3", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	(void) set_config_option("bytea_output", "hex", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	/* constants deparsed as prio's triggers parse them (no E'' needed) */
	(void) set_config_option("standard_conforming_strings", "on", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);

	/*
	 * A value that is the name of a column as it stands ("Account Id",
	 * "CustomerID", "user", "order") but is no SQL for it (unquoted, such a
	 * name is folded to lower case, is not one identifier, or is a
	 * keyword): say how to write it, rather than that a column "customerid"
	 * does not exist, a syntax error, or that CURRENT_USER is not allowed.
	 */
	if (get_attnum(relid, expr) > 0 && needs_quotes(expr) &&
		(strcmp(downcase_identifier(expr, strlen(expr), false, false), expr) == 0 ||
		 get_attnum(relid, downcase_identifier(expr, strlen(expr), false, false)) == InvalidAttrNumber))
	{
		StringInfoData quoted;

		initStringInfo(&quoted);
		escape_json(&quoted, quote_identifier(expr));
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("mapping key \"%s\" names column %s without the quotes its name needs",
						key, quote_identifier(expr)),
				 errhint("Quote it as in SQL, within the JSON string: \"%s\": %s.",
						 strncmp(key, "attributes.", 11) == 0 ? key + 11 : key, quoted.data)));
	}

	raw = raw_parser(expr, RAW_PARSE_PLPGSQL_EXPR);
	rs = list_length(raw) == 1 ? linitial_node(RawStmt, raw) : NULL;
	sel = rs && IsA(rs->stmt, SelectStmt) ? (SelectStmt *) rs->stmt : NULL;
	if (sel == NULL || list_length(sel->targetList) != 1 || sel->distinctClause ||
		sel->intoClause || sel->fromClause || sel->whereClause || sel->groupClause ||
		sel->havingClause || sel->windowClause || sel->valuesLists || sel->sortClause ||
		sel->limitOffset || sel->limitCount || sel->lockingClause || sel->withClause ||
		sel->op != SETOP_NONE)
		ereport(ERROR,
				(errcode(ERRCODE_SYNTAX_ERROR),
				 errmsg("mapping key \"%s\" is not one expression: %s", key, expr),
				 errhint("Give a column name or an SQL expression over the row, such as \"value * fx_rate\".")));
	rt = linitial_node(ResTarget, sel->targetList);
	if (rt->name != NULL || IsA(rt->val, A_Star) ||
		(IsA(rt->val, ColumnRef) && IsA(llast(((ColumnRef *) rt->val)->fields), A_Star)))
		ereport(ERROR,
				(errcode(ERRCODE_SYNTAX_ERROR),
				 errmsg("mapping key \"%s\" is not one expression: %s", key, expr),
				 errhint("Give a column name or an SQL expression over the row, without AS or *.")));

	rel = relation_open(relid, AccessShareLock);
	pstate = make_parsestate(NULL);
	pstate->p_sourcetext = expr;
	nsitem = addRangeTableEntryForRelation(pstate, rel, AccessShareLock, NULL, false, true);
	addNSItemToQuery(pstate, nsitem, true, true, true);
	node = transformExpr(pstate, rt->val, EXPR_KIND_SELECT_TARGET);
	if (pstate->p_hasAggs || pstate->p_hasWindowFuncs || pstate->p_hasTargetSRFs ||
		pstate->p_hasSubLinks || expression_returns_set(node))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("mapping key \"%s\" is not an expression over one row: %s", key, expr),
				 errhint("No subquery, aggregate, window or set-returning function.")));

	type = exprType(node);
	if (!OidIsValid(want) && type == UNKNOWNOID)
		want = TEXTOID;
	if (OidIsValid(want) && type != want)
	{
		/*
		 * an explicit cast, so that the deparsed SQL keeps it: the events
		 * query must give the type prio reads (a timestamp column mapped
		 * as "at" came out as timestamp, and every write missed prio)
		 */
		Node	   *coerced = coerce_to_target_type(pstate, node, type, want, -1,
													COERCION_IMPLICIT, COERCE_EXPLICIT_CAST, -1);

		if (coerced == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("mapping key \"%s\" is of type %s, but prio needs %s: %s",
							key, format_type_be(type), format_type_be(want), expr),
					 errhint("Cast it in the mapping, as in \"(%s)::%s\", if that is what you mean.",
							 expr, format_type_be(want))));
		node = coerced;
		type = want;
	}
	assign_expr_collations(pstate, node);
	(void) track_expr_walker(node, &ck);

	out->sql = deparse_expression(node, deparse_context_for(RelationGetRelationName(rel), relid),
							 false, false);
	AtEOXact_GUC(true, nest);

	out->type = getBaseType(type);
	out->attnum = IsA(node, Var) ? ((Var *) node)->varattno : 0;
	out->collation = exprCollation(node);
	out->btree = OidIsValid(GetDefaultOpClass(getBaseType(type), BTREE_AM_OID));
	relation_close(rel, AccessShareLock);
}

/*
 * The events query of each tracked activities table whose columns are
 * still those prio.track() checked, in source_id order, *n of them (NULL
 * and 0 when none is tracked, or prio.sources is not there: a script older
 * than 0.4): each of (customer_id, at, tiebreak, kind, amount), restricted
 * by filter (a condition on its customer_id, such as "= ANY ($1)"; NULL:
 * none).  The caller is connected to SPI; allocated in the caller's context.
 */
TrackedEventsPart *
PrioTrackedEventsParts(const char *filter, int *n)
{
	static SPIPlanPtr plan = NULL;
	MemoryContext mine = CurrentMemoryContext;
	TrackedEventsPart *parts;

	*n = 0;
	if (!OidIsValid(get_relname_relid("sources", get_namespace_oid(PRIO_SCHEMA, false))))
		return NULL;
	if (plan == NULL)
		plan = PrioKeepPlan("SELECT s.source_id, s.relid::pg_catalog.oid,"
							"       s.compiled OPERATOR(pg_catalog.->>) 'EVENTS'"
							"  FROM " PRIO_SCHEMA ".sources s"
							" WHERE s.role OPERATOR(pg_catalog.=) 'activities'"
							"   AND s.compiled OPERATOR(pg_catalog.?) 'EVENTS'"
							"   AND s.signature OPERATOR(pg_catalog.=) " PRIO_SCHEMA "._track_signature(s.relid, s.compiled)"
							" ORDER BY s.source_id", 0, NULL, 0);
	if (SPI_execute_plan(plan, NULL, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read prio.sources");
	MemoryContextSwitchTo(mine);
	if (SPI_processed == 0)
	{
		SPI_freetuptable(SPI_tuptable);
		return NULL;
	}
	parts = palloc(sizeof(TrackedEventsPart) * SPI_processed);
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		HeapTuple	t = SPI_tuptable->vals[i];
		TupleDesc	d = SPI_tuptable->tupdesc;
		bool		isnull;
		char	   *events = SPI_getvalue(t, d, 3);

		parts[i].source_id = DatumGetInt32(SPI_getbinval(t, d, 1, &isnull));
		parts[i].relid = DatumGetObjectId(SPI_getbinval(t, d, 2, &isnull));
		parts[i].sql = filter == NULL ? psprintf("SELECT e.* FROM (%s) e", events)
			: psprintf("SELECT e.* FROM (%s) e WHERE e.customer_id %s", events, filter);
		pfree(events);
	}
	*n = (int) SPI_processed;
	SPI_freetuptable(SPI_tuptable);
	return parts;
}

/*
 * Raise 42804 unless the events query of tracked table relid gives desc's
 * columns as its readers read them (customer_id bigint, at timestamptz,
 * tiebreak bigint, kind text, amount numeric): one compiled before track()
 * cast each mapping (0.4's prio.so, an early 0.5 build) gives the mapping's
 * own types, and an integer amount read as numeric crashed the server.
 */
void
PrioTrackedEventsCheck(Oid relid, TupleDesc desc)
{
	static const Oid want[5] = {INT8OID, TIMESTAMPTZOID, INT8OID, TEXTOID, NUMERICOID};
	const char *hint = "prio.untrack() and prio.track() the table again: track() now casts each mapping to the type prio reads.";

	if (desc->natts != 5)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("the events query of tracked table %s gives %d columns, not 5",
						DatumGetCString(DirectFunctionCall1(regclassout, ObjectIdGetDatum(relid))),
						desc->natts),
				 errhint("%s", hint)));
	for (int i = 0; i < 5; i++)
		if (TupleDescAttr(desc, i)->atttypid != want[i])
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("the events query of tracked table %s gives column %d of type %s, not %s",
							DatumGetCString(DirectFunctionCall1(regclassout, ObjectIdGetDatum(relid))),
							i + 1, format_type_be(TupleDescAttr(desc, i)->atttypid),
							format_type_be(want[i])),
					 errhint("%s", hint)));
}

/*
 * The events of every tracked activities table (PrioTrackedEventsParts),
 * as one query of (customer_id, at, tiebreak, kind, amount): the parts
 * joined by UNION ALL.  NULL when no activities table is tracked.  The
 * caller is connected to SPI; the string is allocated in the caller's
 * context.
 */
char *
PrioTrackedEvents(const char *filter)
{
	int			n;
	TrackedEventsPart *parts = PrioTrackedEventsParts(filter, &n);
	StringInfoData sql;

	if (n == 0)
		return NULL;
	initStringInfo(&sql);
	for (int i = 0; i < n; i++)
	{
		if (i > 0)
			appendStringInfoString(&sql, " UNION ALL ");
		appendStringInfoString(&sql, parts[i].sql);
		pfree(parts[i].sql);
	}
	pfree(parts);
	return sql.data;
}

/*
 * The compiled SQL of tracked tables is parsed as prio.track() wrote it:
 * with standard_conforming_strings and array_nulls on, whatever the session
 * that refolds has set (with standard_conforming_strings off a backslash in
 * a mapping's string constant would end it early and let the rest become
 * SQL; with array_nulls off '{a,NULL}' would hold the string "NULL").  It
 * is evaluated with one time zone, one output style for dates, intervals,
 * floats and bytea, and the C locale for money, numbers and month and day
 * names (to_char's TM, L, D, G), so that a mapping such as "d::timestamptz" or "n::text" gives
 * the same event in every session (live state equals recompute() whatever
 * the writers' TimeZone).  And it reads every row, or fails when a policy
 * would hide some from prio's owner (never a silently partial fold).  As
 * prio.track() and the functions that read tracked tables do by their SET
 * clauses (sql/install/85_track.sql); prio.source_changed() calls this
 * before it runs compiled SQL.  (jit: planned as those functions plan.)  Returns the
 * level to give PrioTrackedParseEnd(); an error in between restores the
 * settings with the (sub)transaction's abort.
 */
static const char *const tracked_settings[][2] = {
	{"standard_conforming_strings", "on"},
	{"array_nulls", "on"},
	{"timezone", "UTC"},
	{"datestyle", "ISO, YMD"},
	{"intervalstyle", "postgres"},
	{"extra_float_digits", "3"},
	{"row_security", "off"},
	{"jit", "off"},
	{"bytea_output", "hex"},
	{"lc_monetary", "C"},
	{"lc_numeric", "C"},
	{"lc_time", "C"},
};

int
PrioTrackedParseBegin(void)
{
	int			nest = NewGUCNestLevel();

	for (int i = 0; i < lengthof(tracked_settings); i++)
		(void) set_config_option(tracked_settings[i][0], tracked_settings[i][1],
								 PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
	return nest;
}

void
PrioTrackedParseEnd(int nest)
{
	AtEOXact_GUC(true, nest);
}
