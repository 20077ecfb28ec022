import { makePostgresStore, postgresUnavailable } from '../helpers/postgres.js';
import { serviceAvailable } from '../helpers/services.js';
import { storeSuite } from './store-suite.js';

// The shared behavioural suite, each test on a fresh schema of the test server.
if (serviceAvailable('postgres: the Store suite', await postgresUnavailable())) {
  storeSuite('postgres', makePostgresStore);
}
