import type { UniqueField } from '@app/platform';

/** Unique constraints the registry relies on, and the field each one protects. */
export const REGISTRY_UNIQUE_FIELDS: Readonly<Record<string, UniqueField>> = {
  owners_document_type_document_number_key: {
    field: 'documentNumber',
    message: 'an owner with this document is already registered',
  },
  machines_serial_number_key: {
    field: 'serialNumber',
    message: 'a machine with this serial number is already registered',
  },
  machines_registry_number_key: {
    field: 'registryNumber',
    message: 'this registry number is already issued',
  },
  trackers_imei_key: { field: 'imei', message: 'a tracker with this IMEI is already registered' },
  tracker_bindings_open_tracker_idx: {
    field: 'trackerId',
    message: 'the tracker is already bound to a machine',
  },
  tracker_bindings_open_machine_idx: {
    field: 'machineId',
    message: 'the machine already has a bound tracker',
  },
  users_username_key: { field: 'username', message: 'this username is taken' },
  agencies_code_key: { field: 'code', message: 'an agency with this code exists' },
};
