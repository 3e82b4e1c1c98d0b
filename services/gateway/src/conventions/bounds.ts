/**
 * What numeric inputs may hold. Every integer a DTO accepts carries @Min and
 * @Max no wider than the column or type it ends up in (bounds.spec.ts checks
 * every DTO): an unbounded integer reaches PostgreSQL as an out-of-range
 * error, and `1e21` is an "integer" to class-validator.
 */
export const PG_INT_MAX = 2_147_483_647;
