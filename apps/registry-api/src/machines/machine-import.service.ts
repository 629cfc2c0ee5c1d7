import { Injectable } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import { parse } from 'csv-parse/sync';
import { Repositories, Store } from '@app/db';
import { AuthenticatedUser, actorOf, FieldError, fieldErrors, validationFailed } from '@app/platform';
import { IsIn, IsOptional, IsString, Length } from 'class-validator';
import { DOCUMENT_TYPES } from '../owners/owners.dto';
import { IsOwnerDocument } from '../common/validators';
import { ownerKindProblem, ownerView } from '../owners/owners.service';
import { CreateMachineDto } from './machines.dto';
import { MachinesService } from './machines.service';

export const IMPORT_COLUMNS = {
  required: [
    'category',
    'make',
    'model',
    'year',
    'serial_number',
    'department',
    'owner_document_type',
    'owner_document_number',
  ],
  optional: ['engine_number', 'declared_use', 'reinfo_code', 'concession_code', 'owner_name'],
} as const;

export const MAX_IMPORT_ROWS = 10_000;

export interface ImportReport {
  dryRun: boolean;
  rows: number;
  enrolled: Array<{
    line: number;
    id: string;
    registryNumber: string;
    serialNumber: string;
    ownerCreated: boolean;
  }>;
  rejected: Array<{ line: number; errors: FieldError[] }>;
}

type CsvRow = Record<string, string>;

/** The owner columns of a row: an existing owner by document, or a new one when a name is given. */
class ImportOwner {
  @IsIn(DOCUMENT_TYPES)
  documentType!: (typeof DOCUMENT_TYPES)[number];

  @IsString()
  @IsOwnerDocument()
  documentNumber!: string;

  @IsOptional()
  @IsString()
  @Length(1, 300)
  name?: string;

  get kind(): 'person' | 'company' {
    return this.documentType === 'RUC' && this.documentNumber.startsWith('20') ? 'company' : 'person';
  }
}

class DryRunRollback extends Error {}

/**
 * Enrols a fleet from CSV: every row is validated like a single enrolment; valid rows are enrolled in one
 * transaction and each invalid row is reported with its line and reasons. If anything unexpected fails, the
 * transaction rolls back and nothing of the file is written.
 */
@Injectable()
export class MachineImportService {
  constructor(
    private readonly store: Store,
    private readonly machines: MachinesService,
  ) {}

  async importCsv(csv: string, by: AuthenticatedUser, dryRun: boolean): Promise<ImportReport> {
    const records = this.parse(csv);
    const report: ImportReport = { dryRun, rows: records.length, enrolled: [], rejected: [] };
    const candidates: Array<{ line: number; row: CsvRow; machine: CreateMachineDto; owner: ImportOwner }> =
      [];
    const seenSerials = new Map<string, number>();
    for (const { line, row } of records) {
      const checked = await this.validateRow(row);
      const errors = [...checked.errors];
      const serial = row['serial_number'] ?? '';
      const firstLine = seenSerials.get(serial);
      if (serial && firstLine !== undefined) {
        errors.push({
          field: 'serial_number',
          messages: [`serial number repeats line ${firstLine} of this file`],
        });
      } else if (serial) seenSerials.set(serial, line);
      if (errors.length > 0) report.rejected.push({ line, errors });
      else candidates.push({ line, row, machine: checked.machine, owner: checked.owner });
    }
    try {
      await this.store.transaction(async (repos) => {
        const now = new Date();
        for (const candidate of candidates) {
          const errors = await this.conflictsOf(repos, candidate.machine, candidate.owner);
          if (errors.length > 0) {
            report.rejected.push({ line: candidate.line, errors });
            continue;
          }
          const { ownerId, created } = await this.resolveOwner(repos, candidate.owner, by);
          const machine = await this.machines.enrol(repos, { ...candidate.machine, ownerId }, by, now);
          report.enrolled.push({
            line: candidate.line,
            id: machine.id,
            registryNumber: machine.registryNumber,
            serialNumber: machine.serialNumber,
            ownerCreated: created,
          });
        }
        if (dryRun) throw new DryRunRollback();
      });
    } catch (error) {
      if (!(error instanceof DryRunRollback)) throw error;
    }
    report.rejected.sort((a, b) => a.line - b.line);
    return report;
  }

  private parse(csv: string): Array<{ line: number; row: CsvRow }> {
    let parsed: Array<{ record: CsvRow; info: { lines: number } }>;
    try {
      parsed = parse(csv, {
        columns: (header: string[]) => header.map((h) => h.trim().toLowerCase()),
        info: true,
        skip_empty_lines: true,
        trim: true,
        bom: true,
      });
    } catch (error) {
      throw validationFailed([
        {
          field: 'file',
          messages: [`unreadable CSV: ${error instanceof Error ? error.message : String(error)}`],
        },
      ]);
    }
    if (parsed.length === 0)
      throw validationFailed([{ field: 'file', messages: ['the CSV file has no data rows'] }]);
    if (parsed.length > MAX_IMPORT_ROWS) {
      throw validationFailed([
        { field: 'file', messages: [`at most ${MAX_IMPORT_ROWS} rows per file, got ${parsed.length}`] },
      ]);
    }
    const header = Object.keys(parsed[0]!.record);
    const missing = IMPORT_COLUMNS.required.filter((column) => !header.includes(column));
    const known: readonly string[] = [...IMPORT_COLUMNS.required, ...IMPORT_COLUMNS.optional];
    const unknown = header.filter((column) => !known.includes(column));
    const problems: FieldError[] = [
      ...missing.map((column) => ({ field: column, messages: [`required column ${column} is missing`] })),
      ...unknown.map((column) => ({
        field: column,
        messages: [`unknown column ${column}; known: ${known.join(', ')}`],
      })),
    ];
    if (problems.length > 0) throw validationFailed(problems);
    return parsed.map(({ record, info }) => ({ line: info.lines, row: record }));
  }

  private async validateRow(
    row: CsvRow,
  ): Promise<{ machine: CreateMachineDto; owner: ImportOwner; errors: FieldError[] }> {
    const blankToUndefined = (value: string | undefined) =>
      value === undefined || value === '' ? undefined : value;
    const year = row['year'] ?? '';
    const machine = plainToInstance(CreateMachineDto, {
      category: row['category'],
      make: row['make'],
      model: row['model'],
      year: /^\d+$/.test(year) ? Number(year) : year,
      serialNumber: row['serial_number'],
      engineNumber: blankToUndefined(row['engine_number']),
      declaredUse: blankToUndefined(row['declared_use']?.toLowerCase()),
      reinfoCode: blankToUndefined(row['reinfo_code']),
      concessionCode: blankToUndefined(row['concession_code']),
      department: row['department'],
      ownerId: '00000000-0000-4000-8000-000000000000',
    });
    const documentType = row['owner_document_type']?.toUpperCase();
    const documentNumber = row['owner_document_number'];
    const owner = plainToInstance(ImportOwner, {
      documentType,
      documentNumber,
      name: blankToUndefined(row['owner_name']),
    });
    const columnOf: Record<string, string> = {
      serialNumber: 'serial_number',
      engineNumber: 'engine_number',
      declaredUse: 'declared_use',
      reinfoCode: 'reinfo_code',
      concessionCode: 'concession_code',
      documentType: 'owner_document_type',
      documentNumber: 'owner_document_number',
      name: 'owner_name',
    };
    const errors = [...fieldErrors(await validate(machine)), ...fieldErrors(await validate(owner))].map(
      (e) => ({ field: columnOf[e.field] ?? e.field, messages: e.messages }),
    );
    const kindProblem = ownerKindProblem(owner.kind, owner.documentType, owner.documentNumber);
    if (kindProblem) errors.push({ field: 'owner_document_type', messages: [kindProblem] });
    return { machine, owner, errors };
  }

  private async conflictsOf(
    repos: Repositories,
    machine: CreateMachineDto,
    owner: ImportOwner,
  ): Promise<FieldError[]> {
    const errors: FieldError[] = [];
    if (await repos.machines.findBySerialNumber(machine.serialNumber)) {
      errors.push({
        field: 'serial_number',
        messages: ['a machine with this serial number is already registered'],
      });
    }
    const known = await repos.owners.findByDocument(owner.documentType, owner.documentNumber);
    if (!known && owner.name === undefined) {
      errors.push({
        field: 'owner_name',
        messages: ['the owner is not registered; give owner_name to register them with the machine'],
      });
    }
    return errors;
  }

  private async resolveOwner(
    repos: Repositories,
    owner: ImportOwner,
    by: AuthenticatedUser,
  ): Promise<{ ownerId: string; created: boolean }> {
    const known = await repos.owners.findByDocument(owner.documentType, owner.documentNumber);
    if (known) return { ownerId: known.id, created: false };
    const created = ownerView(
      await repos.owners.create({
        kind: owner.kind,
        document_type: owner.documentType,
        document_number: owner.documentNumber,
        name: owner.name!.trim(),
      }),
    );
    await repos.audit.record({
      actor: actorOf(by),
      action: 'owner.created',
      entityType: 'owner',
      entityId: created.id,
      after: created,
    });
    return { ownerId: created.id, created: true };
  }
}
