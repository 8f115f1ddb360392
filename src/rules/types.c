/*
 * types.c
 *		The key-customer types (0.5): each type's condition, a small rule
 *		language in jsonb, compiled and checked once, evaluated per customer
 *		over its facts (from the fold's monthly buckets, as of a time) and
 *		its attributes (prio.customers.attributes).
 *
 * A condition is one of
 *		{"all": [cond, ...]}		every one holds (non-empty)
 *		{"any": [cond, ...]}		at least one holds (non-empty)
 *		{"not": cond}
 *		{"fact": NAME, OP: VALUE}	a fact the engine computes (below)
 *		{"attr": NAME, OP: VALUE}	a key of the customer's attributes
 * OP is one of >=, >, <=, < (VALUE a number), = (a number, string or
 * boolean), in (a non-empty array of those) or exists (true or false).  An
 * undefined fact or an absent (or JSON null) attribute makes every
 * comparison false but "exists": false; a comparison of different JSON types
 * is false (a string "5" is not the number 5).
 *
 * Facts, as of a time t, over UTC calendar months (the fold keeps the last
 * PRIO_MONTHS months' net purchases and inbound activities per customer):
 *		purchases_12m		t's month and the 11 before
 *		purchases_prev_12m	the 12 months before those
 *		growth_yoy			purchases_12m / purchases_prev_12m - 1 (undefined
 *							when the base is not positive)
 *		growth_2y			purchases_12m / the purchases of months 24-35
 *							before t's - 1 (idem)
 *		repurchase_rate		(purchase days - 1) / purchase days, all time (0
 *							without purchases)
 *		interactions_per_month	inbound activities of the 12 months / 12
 *		pipeline			open pipeline value (customer_state.pipeline, else 0)
 *		related_customers	customers naming this one as parent_company or
 *							referred_by in their attributes
 *		frequency, monetary	all-time purchase count and sum
 */
#include "prio.h"

#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/numeric.h"

const char *const prio_type_fact_names[TF_COUNT] = {
	"purchases_12m", "purchases_prev_12m", "growth_yoy", "growth_2y", "repurchase_rate",
	"interactions_per_month", "pipeline", "related_customers", "frequency", "monetary"
};

typedef enum
{
	TC_ALL, TC_ANY, TC_NOT, TC_CMP
} TcKind;

typedef enum
{
	OP_GE, OP_GT, OP_LE, OP_LT, OP_EQ, OP_IN, OP_EXISTS, OP_COUNT
} TcOp;

static const char *const op_names[OP_COUNT] = {">=", ">", "<=", "<", "=", "in", "exists"};

typedef struct TcValue
{
	enum jbvType type;			/* jbvNumeric, jbvString or jbvBool */
	double		num;
	char	   *str;
	int			len;
	bool		b;
} TcValue;

struct PrioTypeCond
{
	TcKind		kind;
	int			nchild;
	struct PrioTypeCond *child;
	/* TC_CMP */
	bool		is_fact;
	int			fact;
	char	   *attr;
	int			attrlen;
	TcOp		op;
	int			nvals;
	TcValue    *vals;
};

/* The UTC calendar month of a time, as year * 12 + month - 1 */
int32
prio_utc_month(TimestampTz t)
{
	int			y,
				m,
				d;

	j2date(prio_utc_day(t) + POSTGRES_EPOCH_JDATE, &y, &m, &d);
	return y * 12 + m - 1;
}

/* ---------------------------------------------------------------- compile */

typedef struct Compiling
{
	const char *type;
	StringInfoData path;
} Compiling;

static void bad(Compiling *cx, const char *fmt,...) pg_attribute_printf(2, 3) pg_attribute_noreturn();

static void
bad(Compiling *cx, const char *fmt,...)
{
	StringInfoData what;

	initStringInfo(&what);
	for (;;)
	{
		va_list		args;
		int			needed;

		va_start(args, fmt);
		needed = appendStringInfoVA(&what, fmt, args);
		va_end(args);
		if (needed == 0)
			break;
		enlargeStringInfo(&what, needed);
	}
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("condition of customer type \"%s\" is invalid at %s: %s",
					cx->type, cx->path.data, what.data),
			 errhint("A condition is {\"all\": [...]}, {\"any\": [...]}, {\"not\": {...}}, "
					 "or {\"fact\" or \"attr\": name, op: value} with op one of "
					 ">=, >, <=, <, =, in, exists.")));
}

static char *
jstr(const JsonbValue *v)
{
	return pnstrdup(v->val.string.val, v->val.string.len);
}

static double
jnum(const JsonbValue *v)
{
	return DatumGetFloat8(DirectFunctionCall1(numeric_float8_no_overflow,
											  NumericGetDatum(v->val.numeric)));
}

static void
scalar_value(Compiling *cx, const JsonbValue *v, TcValue *out, bool number_only)
{
	memset(out, 0, sizeof(TcValue));
	out->type = v->type;
	if (v->type == jbvNumeric)
		out->num = jnum(v);
	else if (number_only)
		bad(cx, "%s needs a number", "the comparison");
	else if (v->type == jbvString)
	{
		out->str = jstr(v);
		out->len = v->val.string.len;
	}
	else if (v->type == jbvBool)
		out->b = v->val.boolean;
	else
		bad(cx, "%s needs a number, a string or a boolean", "the comparison");
}

static void compile(Compiling *cx, const JsonbValue *v, PrioTypeCond *c);

/* the elements of an array value (jbvBinary) */
static int
array_elems(Compiling *cx, const JsonbValue *v, JsonbValue **elems, const char *key)
{
	JsonbIterator *it;
	JsonbValue	e;
	JsonbIteratorToken tok;
	int			n = 0;
	int			max;

	if (v->type != jbvBinary || !JsonContainerIsArray(v->val.binary.data))
		bad(cx, "\"%s\" needs an array", key);
	max = Max(1, JsonContainerSize(v->val.binary.data));
	*elems = palloc(sizeof(JsonbValue) * max);
	it = JsonbIteratorInit(v->val.binary.data);
	while ((tok = JsonbIteratorNext(&it, &e, true)) != WJB_DONE)
		if (tok == WJB_ELEM)
			(*elems)[n++] = e;
	if (n == 0)
		bad(cx, "\"%s\" needs a non-empty array", key);
	return n;
}

static void
compile_list(Compiling *cx, const JsonbValue *v, PrioTypeCond *c, const char *key)
{
	JsonbValue *elems;
	int			len = cx->path.len;

	c->nchild = array_elems(cx, v, &elems, key);
	c->child = palloc0(sizeof(PrioTypeCond) * c->nchild);
	for (int i = 0; i < c->nchild; i++)
	{
		appendStringInfo(&cx->path, ".%s[%d]", key, i);
		compile(cx, &elems[i], &c->child[i]);
		cx->path.len = len;
		cx->path.data[len] = '\0';
	}
}

static void
compile(Compiling *cx, const JsonbValue *v, PrioTypeCond *c)
{
	JsonbIterator *it;
	JsonbValue	k;
	JsonbValue	val;
	JsonbIteratorToken tok;
	bool		has_subject = false;
	bool		has_op = false;
	JsonbValue	opval;

	memset(c, 0, sizeof(PrioTypeCond));
	if (v->type != jbvBinary || !JsonContainerIsObject(v->val.binary.data))
		bad(cx, "%s must be a JSON object", "a condition");
	if (JsonContainerSize(v->val.binary.data) == 0)
		bad(cx, "%s must not be empty", "a condition");
	c->kind = TC_CMP;
	it = JsonbIteratorInit(v->val.binary.data);
	while ((tok = JsonbIteratorNext(&it, &k, true)) != WJB_DONE)
	{
		char	   *key;

		if (tok != WJB_KEY)
			continue;
		key = jstr(&k);
		tok = JsonbIteratorNext(&it, &val, true);
		Assert(tok == WJB_VALUE);
		if (strcmp(key, "all") == 0 || strcmp(key, "any") == 0 || strcmp(key, "not") == 0)
		{
			if (JsonContainerSize(v->val.binary.data) != 1)
				bad(cx, "\"%s\" must be the object's only key", key);
			if (key[1] == 'o')
			{
				int			len = cx->path.len;

				c->kind = TC_NOT;
				c->nchild = 1;
				c->child = palloc0(sizeof(PrioTypeCond));
				appendStringInfoString(&cx->path, ".not");
				compile(cx, &val, c->child);
				cx->path.len = len;
				cx->path.data[len] = '\0';
			}
			else
			{
				c->kind = key[1] == 'l' ? TC_ALL : TC_ANY;
				compile_list(cx, &val, c, key);
			}
			return;
		}
		if (strcmp(key, "fact") == 0 || strcmp(key, "attr") == 0)
		{
			if (has_subject)
				bad(cx, "%s: give one of \"fact\" and \"attr\"", "a comparison");
			has_subject = true;
			if (val.type != jbvString || val.val.string.len == 0)
				bad(cx, "\"%s\" needs a non-empty string", key);
			c->is_fact = (key[0] == 'f');
			if (c->is_fact)
			{
				char	   *name = jstr(&val);

				for (c->fact = 0; c->fact < TF_COUNT; c->fact++)
					if (strcmp(prio_type_fact_names[c->fact], name) == 0)
						break;
				if (c->fact == TF_COUNT)
					bad(cx, "unknown fact \"%s\" (facts: purchases_12m, purchases_prev_12m, "
						"growth_yoy, growth_2y, repurchase_rate, interactions_per_month, "
						"pipeline, related_customers, frequency, monetary)", name);
			}
			else
			{
				c->attr = jstr(&val);
				c->attrlen = val.val.string.len;
			}
			continue;
		}
		for (c->op = 0; c->op < OP_COUNT; c->op++)
			if (strcmp(op_names[c->op], key) == 0)
				break;
		if (c->op == OP_COUNT)
			bad(cx, "unknown key \"%s\" (all, any, not, fact, attr, >=, >, <=, <, =, in, exists)", key);
		if (has_op)
			bad(cx, "%s: give one operator", "a comparison");
		has_op = true;
		opval = val;
	}
	if (!has_subject)
		bad(cx, "%s needs \"fact\" or \"attr\"", "a comparison");
	if (!has_op)
		bad(cx, "%s needs an operator (>=, >, <=, <, =, in, exists)", "a comparison");
	if (c->op == OP_EXISTS)
	{
		if (opval.type != jbvBool)
			bad(cx, "%s needs true or false", "\"exists\"");
		c->nvals = 1;
		c->vals = palloc0(sizeof(TcValue));
		c->vals[0].type = jbvBool;
		c->vals[0].b = opval.val.boolean;
	}
	else if (c->op == OP_IN)
	{
		JsonbValue *elems;

		c->nvals = array_elems(cx, &opval, &elems, "in");
		c->vals = palloc(sizeof(TcValue) * c->nvals);
		for (int i = 0; i < c->nvals; i++)
			scalar_value(cx, &elems[i], &c->vals[i], false);
	}
	else
	{
		c->nvals = 1;
		c->vals = palloc(sizeof(TcValue));
		if (opval.type == jbvBinary)
			bad(cx, "\"%s\" needs a scalar value", op_names[c->op]);
		scalar_value(cx, &opval, &c->vals[0], c->op != OP_EQ);
	}
}

/*
 * Compile (and check) a type's condition; allocates in the current memory
 * context.  A bad condition is an error 22023 naming the part.
 */
PrioTypeCond *
prio_type_compile(Jsonb *condition, const char *type)
{
	Compiling	cx;
	JsonbValue	root;
	PrioTypeCond *c = palloc0(sizeof(PrioTypeCond));

	cx.type = type;
	initStringInfo(&cx.path);
	appendStringInfoString(&cx.path, "condition");
	root.type = jbvBinary;
	root.val.binary.data = &condition->root;
	root.val.binary.len = VARSIZE(condition) - VARHDRSZ;
	if (JB_ROOT_IS_SCALAR(condition))
		bad(&cx, "%s must be a JSON object", "a condition");
	compile(&cx, &root, c);
	pfree(cx.path.data);
	return c;
}

/* ---------------------------------------------------------------- facts */

/* purchases (or inbound activities) of the months from..to before as_of's */
static double
window(const PrioFacts *f, int32 now, int from, int to, bool inbound)
{
	double		sum = 0.0;

	if (!f->has_activity)
		return 0.0;
	for (int back = from; back <= to; back++)
	{
		int32		i = f->month_at - (now - back);

		if (i >= 0 && i < PRIO_MONTHS)
			sum += inbound ? (double) f->month_inbound[i] : f->month_purchases[i];
	}
	return sum;
}

void
prio_type_facts(PrioTypeFacts *tf, const PrioFacts *f, TimestampTz as_of, double pipeline,
				int64 related)
{
	int32		now = prio_utc_month(as_of);
	double		p12 = window(f, now, 0, 11, false);
	double		prev = window(f, now, 12, 23, false);
	double		two = window(f, now, 24, 35, false);

	for (int i = 0; i < TF_COUNT; i++)
		tf->has[i] = true;
	tf->v[TF_PURCHASES_12M] = p12;
	tf->v[TF_PURCHASES_PREV_12M] = prev;
	tf->has[TF_GROWTH_YOY] = prev > 0;
	tf->v[TF_GROWTH_YOY] = prev > 0 ? p12 / prev - 1.0 : 0.0;
	tf->has[TF_GROWTH_2Y] = two > 0;
	tf->v[TF_GROWTH_2Y] = two > 0 ? p12 / two - 1.0 : 0.0;
	tf->v[TF_REPURCHASE_RATE] = f->purchase_days > 0
		? (double) (f->purchase_days - 1) / (double) f->purchase_days : 0.0;
	tf->v[TF_INTERACTIONS_PER_MONTH] = window(f, now, 0, 11, true) / 12.0;
	tf->v[TF_PIPELINE] = pipeline;
	tf->v[TF_RELATED_CUSTOMERS] = (double) related;
	tf->v[TF_FREQUENCY] = (double) f->frequency;
	tf->v[TF_MONETARY] = f->monetary
		? DatumGetFloat8(DirectFunctionCall1(numeric_float8_no_overflow,
											 NumericGetDatum(f->monetary))) : 0.0;
}

/* ---------------------------------------------------------------- evaluation */

static bool
value_equal(const TcValue *a, enum jbvType type, double num, const char *str, int len, bool b)
{
	if (a->type != type)
		return false;
	switch (type)
	{
		case jbvNumeric:
			return a->num == num;
		case jbvString:
			return a->len == len && memcmp(a->str, str, len) == 0;
		case jbvBool:
			return a->b == b;
		default:
			return false;
	}
}

static bool
compare(const PrioTypeCond *c, bool present, enum jbvType type, double num, const char *str,
		int len, bool b)
{
	if (c->op == OP_EXISTS)
		return present == c->vals[0].b;
	if (!present)
		return false;
	switch (c->op)
	{
		case OP_GE:
			return type == jbvNumeric && num >= c->vals[0].num;
		case OP_GT:
			return type == jbvNumeric && num > c->vals[0].num;
		case OP_LE:
			return type == jbvNumeric && num <= c->vals[0].num;
		case OP_LT:
			return type == jbvNumeric && num < c->vals[0].num;
		case OP_EQ:
		case OP_IN:
			for (int i = 0; i < c->nvals; i++)
				if (value_equal(&c->vals[i], type, num, str, len, b))
					return true;
			return false;
		default:
			elog(ERROR, "unknown operator %d in a customer type's condition", (int) c->op);
	}
	return false;
}

/* Whether c holds for a customer of these facts and attributes (NULL: none) */
bool
prio_type_holds(const PrioTypeCond *c, const PrioTypeFacts *tf, Jsonb *attributes)
{
	switch (c->kind)
	{
		case TC_ALL:
			for (int i = 0; i < c->nchild; i++)
				if (!prio_type_holds(&c->child[i], tf, attributes))
					return false;
			return true;
		case TC_ANY:
			for (int i = 0; i < c->nchild; i++)
				if (prio_type_holds(&c->child[i], tf, attributes))
					return true;
			return false;
		case TC_NOT:
			return !prio_type_holds(c->child, tf, attributes);
		case TC_CMP:
			break;
	}
	if (c->is_fact)
		return compare(c, tf->has[c->fact], jbvNumeric, tf->v[c->fact], NULL, 0, false);
	else
	{
		JsonbValue	v;
		JsonbValue *found = NULL;

		if (attributes != NULL && !JB_ROOT_IS_SCALAR(attributes) &&
			JB_ROOT_IS_OBJECT(attributes))
			found = getKeyJsonValueFromContainer(&attributes->root, c->attr, c->attrlen, &v);
		if (found == NULL || found->type == jbvNull)
			return compare(c, false, jbvNull, 0, NULL, 0, false);
		switch (found->type)
		{
			case jbvNumeric:
				return compare(c, true, jbvNumeric, jnum(found), NULL, 0, false);
			case jbvString:
				return compare(c, true, jbvString, 0, found->val.string.val,
							   found->val.string.len, false);
			case jbvBool:
				return compare(c, true, jbvBool, 0, NULL, 0, found->val.boolean);
			default:
				/* an array or object: it exists, equals nothing */
				return compare(c, true, jbvBinary, 0, NULL, 0, false);
		}
	}
}
