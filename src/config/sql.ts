/**
 * SQL built from config values (only for `athena.table`). Identifiers are always double-quoted with `"`
 * doubled inside, Trino's quoted-identifier rule, so a name can never end the identifier early; catalog
 * names such as `s3tablescatalog/my-bucket` need the quotes anyway.
 */

/** `my"name` → `"my""name"`. */
export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** `SELECT * FROM "catalog"."database"."table"`. */
export function selectAllQuery(catalog: string, database: string, table: string): string {
  return `SELECT * FROM ${quoteIdentifier(catalog)}.${quoteIdentifier(database)}.${quoteIdentifier(table)}`;
}
