/*
 * msg-fields-undef.h: ends one expansion of msg-types.def — undefines the field macros
 * (F_U8 .. F_LIST), RECORD and MSG, so the next expansion defines its own. No include guard:
 * it is included after every expansion that defined them.
 */
#undef F_U8
#undef F_U32
#undef F_U64
#undef F_KEY
#undef F_I64
#undef F_STR
#undef F_BYTES
#undef F_STRV
#undef F_U64V
#undef F_LIST
#undef RECORD
#undef MSG
