/**
 * The vocabulary of the synthetic organisation. Names include accents, apostrophes and commas on purpose:
 * real exports have them, and they exercise UTF-8 and CSV quoting.
 */

export const FIRST_NAMES = [
  'Olivia', 'Jack', 'Amelia', 'Noah', 'Isla', 'Oliver', 'Ava', 'Leo', 'Mia', 'Arthur', 'Zoë', 'José', 'Łukasz', 'Siobhán',
  'Ngozi', 'Wei', 'Aarav', 'Chloé', 'Søren', 'Björn', 'Anaïs', 'François', 'Priya', 'Mohammed', 'Fatima', 'Hiroshi',
  'Yuki', 'Aroha', 'Tane', 'Grace', 'Liam', 'Emily', 'Ethan', 'Sophie', 'Lucas', 'Hannah', 'Mateo', 'Ana', 'Kwame',
  'Ama', 'Dmitri', 'Irina', 'Sean', 'Aoife', 'Rhys', 'Cerys', 'Ewan', 'Eilidh', 'Ravi', 'Meera', 'Tom', 'Lucy', 'James',
  'Charlotte', 'Daniel', 'Ruby', 'Samuel', 'Freya', 'Joseph', 'Ella', 'Kai', 'Mei', 'Omar', 'Layla', 'Jan', 'Zofia',
];

export const LAST_NAMES = [
  'Smith', 'Jones', 'Williams', 'Taylor', 'Brown', 'Davies', "O'Brien", 'Evans', 'Wilson', 'Thomas', 'Johnson', 'Roberts',
  'Smith-Jones', 'Nguyễn', 'García', 'Müller', 'Kowalski', 'van der Berg', 'MacDonald', 'Ó Súilleabháin', 'Patel', 'Khan',
  'Singh', 'Chen', 'Wang', 'Kim', 'Sato', 'Tanaka', 'Ngata', 'Walker', 'Wright', 'Robinson', 'Thompson', 'White',
  'Hughes', 'Edwards', 'Green', 'Hall', 'Wood', 'Harris', 'Lewis', 'Martin', 'Jackson', 'Clarke', 'Clark', 'Turner',
  'Hill', 'Scott', 'Cooper', 'Morris', 'Ward', 'Moore', 'King', 'Watson', 'Baker', 'Harrison', 'Morgan', 'Mensah',
  'Okafor', 'Ivanova', "D'Souza", 'Dubois', 'Rossi', 'Fernández', 'Nowak', 'Larsen', 'Lindqvist',
];

/** Lower-case ASCII for usernames and e-mail addresses. */
export function asciiName(name: string): string {
  return name
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/ł/g, 'l')
    .replace(/Ł/g, 'L')
    .replace(/ø/g, 'o')
    .replace(/[^A-Za-z]/g, '')
    .toLowerCase();
}

export interface Location {
  city: string;
  country: string;
  timezone: string;
}

export const LOCATIONS: readonly Location[] = [
  { city: 'London', country: 'GB', timezone: 'Europe/London' },
  { city: 'Manchester', country: 'GB', timezone: 'Europe/London' },
  { city: 'Glasgow', country: 'GB', timezone: 'Europe/London' },
  { city: 'Cardiff', country: 'GB', timezone: 'Europe/London' },
  { city: 'Dublin', country: 'IE', timezone: 'Europe/Dublin' },
  { city: 'Sydney', country: 'AU', timezone: 'Australia/Sydney' },
  { city: 'Melbourne', country: 'AU', timezone: 'Australia/Melbourne' },
  { city: 'Auckland', country: 'NZ', timezone: 'Pacific/Auckland' },
  { city: 'New York', country: 'US', timezone: 'America/New_York' },
  { city: 'Toronto', country: 'CA', timezone: 'America/Toronto' },
  { city: 'Johannesburg', country: 'ZA', timezone: 'Africa/Johannesburg' },
  { city: 'Singapore', country: 'SG', timezone: 'Asia/Singapore' },
  { city: 'Kraków', country: 'PL', timezone: 'Europe/Warsaw' },
  { city: 'Paris', country: 'FR', timezone: 'Europe/Paris' },
  { city: 'São Paulo', country: 'BR', timezone: 'America/Sao_Paulo' },
];

export const COMPANY_NAME = 'Northwind Group';

export const DIVISIONS = [
  'Operations', 'Finance', 'People & Culture', 'Sales', 'Marketing', 'Technology', 'Customer Services',
  'Legal, Risk and Compliance', 'Supply Chain', 'Research & Development', 'Estates and Facilities', 'Strategy',
];

export const REGIONS = ['North', 'South', 'East', 'West', 'Central', 'International', 'Metro', 'Coastal'];

export const DEPARTMENTS = [
  'Payroll', 'Recruitment', 'Learning & Development', 'Accounts Payable', 'Accounts Receivable', 'Service Desk',
  'Field Sales', 'Inside Sales', 'Brand', 'Digital', 'Data & Analytics', 'Platform Engineering', 'Procurement',
  'Logistics', 'Warehousing', 'Contact Centre', 'Complaints', 'Quality Assurance', 'Health & Safety', 'Internal Audit',
];

/** Position framework: family → group → titles. */
export const POSITION_FRAMEWORK: readonly { family: string; groups: readonly { group: string; titles: readonly string[] }[] }[] = [
  {
    family: 'Executive',
    groups: [
      { group: 'Executive Leadership', titles: ['Chief Executive Officer', 'Chief Operating Officer', 'Chief Financial Officer', 'Chief People Officer', 'Chief Technology Officer'] },
    ],
  },
  {
    family: 'Management',
    groups: [
      { group: 'Senior Leadership', titles: ['Director', 'Head of Department'] },
      { group: 'Line Management', titles: ['Senior Manager', 'Manager', 'Team Leader', 'Supervisor'] },
    ],
  },
  {
    family: 'Professional',
    groups: [
      { group: 'Finance', titles: ['Accountant', 'Financial Analyst', 'Payroll Specialist'] },
      { group: 'Technology', titles: ['Software Engineer', 'Data Analyst', 'Systems Administrator', 'Business Analyst'] },
      { group: 'People', titles: ['HR Advisor', 'Recruiter', 'Learning Designer'] },
      { group: 'Commercial', titles: ['Account Manager', 'Sales Executive', 'Marketing Executive'] },
    ],
  },
  {
    family: 'Operations',
    groups: [
      { group: 'Customer Service', titles: ['Customer Service Advisor', 'Senior Customer Service Advisor', 'Complaints Handler'] },
      { group: 'Logistics', titles: ['Warehouse Operative', 'Forklift Driver', 'Logistics Coordinator'] },
      { group: 'Field', titles: ['Field Engineer', 'Technician', 'Site Inspector'] },
    ],
  },
  {
    family: 'Support',
    groups: [{ group: 'Business Support', titles: ['Administrator', 'Receptionist', 'Facilities Assistant', 'Executive Assistant'] }],
  },
];

/** Compliance courses almost everyone is enrolled on, then electives. */
export const MANDATORY_COURSES = [
  'Fire Safety Awareness',
  'Data Protection and GDPR',
  'Health, Safety and Wellbeing',
  'Information Security Essentials',
  'Equality, Diversity and Inclusion',
  'Anti-Bribery and Corruption',
];

export const ELECTIVE_COURSES = [
  'New Starter Induction\nPart 1: Welcome',
  'Managing "Difficult" Conversations',
  'Leadership Essentials',
  'Coaching for Performance',
  'Excel: Pivot Tables & Charts',
  'Customer Service Excellence',
  'Project Management Fundamentals',
  'Time Management',
  'Presentation Skills',
  'Resilience and Wellbeing',
  'Safeguarding Adults',
  'Manual Handling',
  'First Aid at Work',
  'Food Hygiene: Café & Restaurant Standards',
  'Working at Height',
  'Forklift Safety',
  'Negotiation Skills',
  'Unconscious Bias',
  'Effective Feedback',
  'Agile Ways of Working',
  'Writing for the Web',
  'Budgeting for Managers',
  'Recruitment and Selection',
  'Handling Complaints',
  'Mental Health First Aid',
  'Cyber Security: Phishing',
  'Anti-Money Laundering',
  'Modern Slavery Awareness',
  'Sales Fundamentals',
  'Product Knowledge: Core Range',
  'Change Management',
  'Running Effective Meetings',
  'Performance Reviews',
  'Accessibility in Practice',
  'Data Literacy',
  'Risk Management',
  'Contract Law Basics',
  'Sustainability at Work',
  'Conflict Resolution',
  'Emotional Intelligence',
];

export const PROGRAM_NAMES = [
  'New Starter Onboarding',
  'Emerging Leaders Programme',
  'Management Development Programme',
  'Sales Academy',
  'Customer Excellence Pathway',
  'Digital Skills Pathway',
  'Graduate Programme',
  'Aspiring Managers',
  'Technical Foundations',
  'Wellbeing Champions',
];

export const CERTIFICATION_NAMES = [
  'Annual Compliance Certification',
  'First Aid at Work Certification',
  'Food Hygiene Level 2',
  'Fire Warden Certification',
  'Information Security Certification',
  'Safeguarding Certification',
  'Forklift Operator Licence',
  'Anti-Money Laundering Certification',
];

export const JOB_ASSIGNMENT_EXTRAS = ['Secondment', 'Relief Cover', 'Project Role', 'Acting Up', 'Mentor (Part-time)'];

export const ROMAN = ['', ' II', ' III', ' IV', ' V', ' VI', ' VII', ' VIII', ' IX', ' X'];

/** 'Leadership Essentials' → 'LE'. */
export function initials(name: string): string {
  return name
    .split(/[^A-Za-z]+/)
    .filter((w) => w.length > 0 && w[0] === w[0].toUpperCase())
    .map((w) => w[0])
    .join('')
    .slice(0, 5);
}
