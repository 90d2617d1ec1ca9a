/** The canonical all-types row (test/fixtures/all-types.ts): exact schema and exact NDJSON text. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyTypeHint, columnFromColumnInfo, compileRowConverter, toBigQuerySchema } from '../../src/convert/index.ts';
import { allTypes, allTypesColumns } from '../fixtures/all-types.ts';

describe('all-types row', () => {
  it('ColumnInfo + typeof() hints resolve to the fixture columns', () => {
    const columns = allTypes.columnInfo.map((info) => {
      const column = columnFromColumnInfo(info);
      const hint = allTypes.typeHints[info.Name];
      return hint === undefined ? column : applyTypeHint(column, hint);
    });
    assert.deepEqual(columns, allTypes.columns);
  });

  it('maps to the expected BigQuery schema', () => {
    assert.deepEqual(toBigQuerySchema(allTypes.columns), allTypes.expectedSchema);
  });

  it('writes the expected NDJSON line, byte for byte', () => {
    const converter = compileRowConverter(allTypes.columns);
    assert.equal(converter.convert(allTypes.cells), allTypes.expectedNdjson);
    assert.equal(converter.stats.truncatedTimestamps, allTypes.expectedStats.truncatedTimestamps);
    assert.deepEqual(converter.warnings, []);
  });

  it('writes the all-NULL row with nulls, omitting REPEATED columns', () => {
    const converter = compileRowConverter(allTypes.columns);
    assert.equal(converter.convert(allTypes.nullCells), allTypes.expectedNullNdjson);
  });

  it('the line is valid JSON with one key per non-REPEATED-null column', () => {
    const parsed = JSON.parse(allTypes.expectedNdjson) as Record<string, unknown>;
    assert.deepEqual(
      Object.keys(parsed),
      allTypesColumns.map((c) => c.info.Name),
    );
  });

  for (const c of allTypesColumns) {
    it(`column ${c.info.Name} (${c.column.type}) alone`, () => {
      const converter = compileRowConverter([c.column]);
      assert.equal(converter.convert([c.cell]), `{${c.ndjson}}`);
    });
  }
});
