/** Flavors and images of the simulated cloud, shaped like a public Nova cloud's. */

export interface Flavor {
  readonly id: number;
  readonly flavorId: string;
  readonly name: string;
  readonly memoryMb: number;
  readonly diskGb: number;
  readonly vcpus: number;
  /** Relative popularity. */
  readonly weight: number;
}

export const FLAVORS: readonly Flavor[] = [
  { id: 2, flavorId: '2', name: '512MB Standard Instance', memoryMb: 512, diskGb: 20, vcpus: 1, weight: 30 },
  { id: 3, flavorId: '3', name: '1GB Standard Instance', memoryMb: 1024, diskGb: 40, vcpus: 1, weight: 25 },
  { id: 4, flavorId: '4', name: '2GB Standard Instance', memoryMb: 2048, diskGb: 80, vcpus: 2, weight: 18 },
  { id: 5, flavorId: '5', name: '4GB Standard Instance', memoryMb: 4096, diskGb: 160, vcpus: 2, weight: 12 },
  { id: 6, flavorId: '6', name: '8GB Standard Instance', memoryMb: 8192, diskGb: 320, vcpus: 4, weight: 8 },
  { id: 7, flavorId: '7', name: '15GB Standard Instance', memoryMb: 15360, diskGb: 620, vcpus: 6, weight: 5 },
  {
    id: 8,
    flavorId: '8',
    name: '30GB Standard Instance',
    memoryMb: 30720,
    diskGb: 1200,
    vcpus: 8,
    weight: 2,
  },
];

export interface Image {
  readonly name: string;
  readonly osDistro: string;
  readonly orgDistro: string;
  readonly osVersion: string;
  readonly osType: 'linux' | 'windows';
  /** The image's minimum disk, GB. */
  readonly minDisk: number;
  readonly weight: number;
}

export const IMAGES: readonly Image[] = [
  {
    name: 'Ubuntu 12.04 LTS',
    osDistro: 'ubuntu',
    orgDistro: 'com.ubuntu',
    osVersion: '12.04',
    osType: 'linux',
    minDisk: 20,
    weight: 30,
  },
  {
    name: 'Ubuntu 14.04 LTS',
    osDistro: 'ubuntu',
    orgDistro: 'com.ubuntu',
    osVersion: '14.04',
    osType: 'linux',
    minDisk: 20,
    weight: 25,
  },
  {
    name: 'Debian 7 (Wheezy)',
    osDistro: 'debian',
    orgDistro: 'org.debian',
    osVersion: '7',
    osType: 'linux',
    minDisk: 20,
    weight: 12,
  },
  {
    name: 'CentOS 6.5',
    osDistro: 'centos',
    orgDistro: 'org.centos',
    osVersion: '6.5',
    osType: 'linux',
    minDisk: 20,
    weight: 15,
  },
  {
    name: 'Red Hat Enterprise Linux 6.5',
    osDistro: 'rhel',
    orgDistro: 'com.redhat',
    osVersion: '6.5',
    osType: 'linux',
    minDisk: 20,
    weight: 6,
  },
  {
    name: 'Fedora 20',
    osDistro: 'fedora',
    orgDistro: 'org.fedoraproject',
    osVersion: '20',
    osType: 'linux',
    minDisk: 20,
    weight: 4,
  },
  {
    name: 'Windows Server 2012',
    osDistro: 'windows',
    orgDistro: 'com.microsoft.server',
    osVersion: '2012.0',
    osType: 'windows',
    minDisk: 40,
    weight: 8,
  },
];

export const NAME_WORDS: readonly string[] = [
  'web',
  'db',
  'cache',
  'worker',
  'api',
  'build',
  'ci',
  'mq',
  'search',
  'proxy',
  'jenkins',
  'mongo',
  'redis',
  'nginx',
  'app',
  'batch',
  'etl',
  'mail',
  'dns',
  'vpn',
];

export const ROLES: readonly string[] = [
  'checkmate',
  'object-store:default',
  'compute:default',
  'identity:user-admin',
  'admin',
];
export const ADMIN_ROLES: readonly string[] = ['admin'];

/** Cumulative weights for weighted picks. */
export function cumulative(weights: readonly number[]): number[] {
  let sum = 0;
  return weights.map((w) => (sum += w));
}
