import { isIP } from 'node:net';
import maxmind, { type CountryResponse } from 'maxmind';

/** Looks up server addresses in a MaxMind-format database (GeoLite2/GeoIP2 Country or City, or compatible). */
export interface CountryLookup {
  country(address: string): string | undefined;
}

export async function openGeoIp(file: string): Promise<CountryLookup> {
  let reader: Awaited<ReturnType<typeof maxmind.open<CountryResponse>>>;
  try {
    reader = await maxmind.open<CountryResponse>(file);
  } catch (error) {
    throw new Error(`${file}: not a readable MaxMind database (${(error as Error).message})`);
  }
  return {
    country(address: string): string | undefined {
      if (isIP(address) === 0) return undefined;
      const record = reader.get(address);
      return record?.country?.iso_code ?? record?.registered_country?.iso_code;
    },
  };
}
