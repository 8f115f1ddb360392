/*
 * label.c
 *		prio.label(domain, code): the label of a code (a stage, tier, type,
 *		segment, channel, role, playbook or reason-line part) in the
 *		session's prio.language, else in English, else the code itself
 *		(engine/labels.c).
 */
#include "prio.h"

#include "utils/builtins.h"

PG_FUNCTION_INFO_V1(prio_label_sql);
Datum
prio_label_sql(PG_FUNCTION_ARGS)
{
	char	   *domain = text_to_cstring(PG_GETARG_TEXT_PP(0));
	text	   *code = PG_GETARG_TEXT_PP(1);
	char	   *code_s = text_to_cstring(code);
	const char *label = prio_label(domain, code_s);

	if (label == NULL)
		PG_RETURN_TEXT_P(code);
	PG_RETURN_TEXT_P(cstring_to_text(label));
}
