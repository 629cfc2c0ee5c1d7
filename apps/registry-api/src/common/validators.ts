import { ParseUUIDPipe } from '@nestjs/common';
import { validationFailed } from '@app/platform';
import { ValidationArguments, ValidationOptions, registerDecorator } from 'class-validator';
import {
  isValidCarneExtranjeria,
  isValidDni,
  isValidIccid,
  isValidImei,
  isValidRuc,
  miningCodeProblem,
  normaliseDepartment,
} from '@app/registry';

function checked(name: string, test: (value: string, args: ValidationArguments) => boolean, message: string) {
  return (options?: ValidationOptions): PropertyDecorator =>
    (target, propertyKey) =>
      registerDecorator({
        name,
        target: target.constructor,
        propertyName: String(propertyKey),
        options: { message, ...options },
        validator: {
          validate: (value: unknown, args) =>
            typeof value === 'string' && args !== undefined && test(value, args),
        },
      });
}

export const IsImei = checked('isImei', isValidImei, 'imei must be 15 digits with a valid Luhn check digit');
export const IsIccid = checked(
  'isIccid',
  isValidIccid,
  'iccid must be 19-20 digits starting with 89, with a valid Luhn check digit',
);
export const IsDepartment = checked(
  'isDepartment',
  (value) => normaliseDepartment(value) !== undefined,
  '$property must be one of the 25 departments of Peru (e.g. "MADRE DE DIOS")',
);

/** Validates `documentNumber` against the `documentType` of the same object. */
export const IsOwnerDocument = checked(
  'isOwnerDocument',
  (value, args) => {
    const type = (args.object as { documentType?: unknown }).documentType;
    if (type === 'DNI') return isValidDni(value);
    if (type === 'CE') return isValidCarneExtranjeria(value);
    if (type === 'RUC') return isValidRuc(value);
    return true;
  },
  'documentNumber must match documentType: DNI 8 digits, CE 9-12 digits, RUC 11 digits with a valid check digit',
);

/**
 * A REINFO reference or mining right code: plausible in shape, and given only beside `declaredUse: 'mining'` of
 * the same object.
 */
export function IsMiningCode(options?: ValidationOptions): PropertyDecorator {
  return (target, propertyKey) => {
    const field = String(propertyKey);
    if (field !== 'reinfoCode' && field !== 'concessionCode')
      throw new Error(`IsMiningCode applies to reinfoCode or concessionCode, not ${field}`);
    const problem = (args: ValidationArguments) =>
      miningCodeProblem(field, args.value, (args.object as { declaredUse?: unknown }).declaredUse);
    registerDecorator({
      name: 'isMiningCode',
      target: target.constructor,
      propertyName: field,
      options: { message: (args) => problem(args) ?? '', ...options },
      validator: { validate: (_value: unknown, args) => args !== undefined && problem(args) === undefined },
    });
  };
}

/** Path ids are UUIDs; anything else is a field-level 400, not a 404. */
export const UUID_PARAM = new ParseUUIDPipe({
  version: '4',
  exceptionFactory: () => validationFailed([{ field: 'id', messages: ['id must be a UUID'] }]),
});
